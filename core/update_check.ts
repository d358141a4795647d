/** @module Asks the npm registry whether a newer pyclaw has been published. */

import { PACKAGE_NAME, VERSION } from "./version.ts";

/** What `update.check` returns. */
export interface UpdateStatus {
  currentVersion: string;
  updateAvailable: boolean;
  latestVersion?: string;
  /** Why no answer could be had (offline, turned off, ...). */
  reason?: string;
  checkedAt: string;
}

/** Options for {@linkcode checkForUpdate}. */
export interface UpdateCheckOptions {
  enabled?: boolean;
  /** @default "https://registry.npmjs.org" */
  registry?: string;
  /** @default PACKAGE_NAME */
  packageName?: string;
  /** @default 3000 */
  timeoutMs?: number;
  currentVersion?: string;
  signal?: AbortSignal;
}

/** Compares dotted versions numerically; prerelease tags sort before the release. */
export function compareVersions(a: string, b: string): number {
  const [coreA, preA] = a.replace(/^v/, "").split("-", 2);
  const [coreB, preB] = b.replace(/^v/, "").split("-", 2);
  const pa = coreA.split(".").map(Number);
  const pb = coreB.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] || 0) - (pb[i] || 0);
    if (diff) return Math.sign(diff);
  }
  if (preA === preB) return 0;
  if (!preA) return 1;
  if (!preB) return -1;
  return preA < preB ? -1 : 1;
}

/** Looks up the newest published version; never throws and never takes longer than the timeout. */
export async function checkForUpdate(options: UpdateCheckOptions = {}): Promise<UpdateStatus> {
  const currentVersion = options.currentVersion ?? VERSION;
  const checkedAt = new Date().toISOString();
  if (options.enabled === false) {
    return {
      currentVersion,
      updateAvailable: false,
      reason: "Update checks are turned off",
      checkedAt,
    };
  }
  const registry = (options.registry ?? "https://registry.npmjs.org").replace(/\/+$/, "");
  const name = options.packageName ?? PACKAGE_NAME;
  const url = `${registry}/${name.replace("/", "%2F")}/latest`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 3_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await fetch(url, { signal, headers: { accept: "application/json" } });
    if (!response.ok) {
      await response.body?.cancel();
      return {
        currentVersion,
        updateAvailable: false,
        reason: `Registry answered ${response.status}`,
        checkedAt,
      };
    }
    const body = await response.json() as { version?: unknown };
    if (typeof body.version !== "string") {
      return {
        currentVersion,
        updateAvailable: false,
        reason: "Registry reply has no version",
        checkedAt,
      };
    }
    return {
      currentVersion,
      latestVersion: body.version,
      updateAvailable: compareVersions(body.version, currentVersion) > 0,
      checkedAt,
    };
  } catch (error) {
    const reason = timeout.aborted
      ? `Registry did not answer within ${options.timeoutMs ?? 3_000} ms`
      : `Registry unreachable: ${(error as Error).message}`;
    return { currentVersion, updateAvailable: false, reason, checkedAt };
  }
}
