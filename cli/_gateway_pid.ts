/**
 * @module The running gateway's pid file (`<state>/gateway.pid`), so `gateway stop` and
 * `gateway restart` can find a gateway started by hand, not only one run as a service.
 */

import { join } from "node:path";
import { readTextIfExists, writeFileAtomic } from "../core/fs.ts";

/** The pid file of the gateway of state dir `root`. */
export function pidFile(root: string): string {
  return join(root, "gateway.pid");
}

/** Records this process as the state dir's gateway. */
export async function writePidFile(root: string): Promise<void> {
  await writeFileAtomic(pidFile(root), `${Deno.pid}\n`, { mode: 0o600 });
}

/** Removes the pid file if it is still this process's. */
export function removePidFileSync(root: string): void {
  try {
    if (Deno.readTextFileSync(pidFile(root)).trim() === String(Deno.pid)) {
      Deno.removeSync(pidFile(root));
    }
  } catch { /* already gone */ }
}

/** The recorded pid when that process still exists. */
export async function runningPid(root: string): Promise<number | undefined> {
  const pid = Number((await readTextIfExists(pidFile(root)))?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  return processExists(pid) && looksLikeGateway(pid) ? pid : undefined;
}

/** Guards against a stale pid file whose number now belongs to another program. */
function looksLikeGateway(pid: number): boolean {
  if (Deno.build.os !== "linux") return true;
  try {
    const args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
    return args.includes("gateway") || args.some((arg) => arg.endsWith("main.ts"));
  } catch {
    return false;
  }
}

export function processExists(pid: number): boolean {
  if (Deno.build.os === "windows") return true; // no signal 0 there; the stop attempt tells
  try {
    Deno.kill(pid, "SIGCONT"); // harmless to a running process; fails when there is none
    return true;
  } catch {
    return false;
  }
}
