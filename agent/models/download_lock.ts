/**
 * @module One download of a model at a time: a lock file beside the partial files, kept fresh by
 * its holder, so a second `models download` of the same model stops instead of writing into the
 * same partial file, and a lock left by a crashed process is taken over once it goes stale.
 */

import { dirname } from "../../core/path.ts";
import { ModelDownloadError } from "./hub.ts";

/** A held lock; release it when the download ends, however it ends. */
export interface DownloadLock {
  release(): Promise<void>;
}

/** Options for {@linkcode acquireDownloadLock}. */
export interface DownloadLockOptions {
  /** A lock not refreshed for this long belongs to a dead process. @default 30000 */
  staleMs?: number;
  /** How often the holder refreshes the lock. @default 5000 */
  refreshMs?: number;
}

/**
 * Takes the lock at `path` for `label`.
 *
 * @throws {ModelDownloadError} `busy` while another live process holds it
 */
export async function acquireDownloadLock(
  path: string,
  label: string,
  options: DownloadLockOptions = {},
): Promise<DownloadLock> {
  const staleMs = options.staleMs ?? 30_000;
  await Deno.mkdir(dirname(path), { recursive: true });
  const body = JSON.stringify({ pid: Deno.pid, startedAt: new Date().toISOString() });
  try {
    await Deno.writeTextFile(path, body, { createNew: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    const info = await Deno.stat(path).catch(() => undefined);
    const age = Date.now() - (info?.mtime?.getTime() ?? 0);
    if (info && age < staleMs) {
      const holder = await Deno.readTextFile(path).then((t) => JSON.parse(t).pid, () => "?");
      throw new ModelDownloadError(
        "busy",
        `Another download of ${label} is running (pid ${holder}); wait for it to finish, ` +
          `or delete ${path} if no download is running`,
      );
    }
    await Deno.writeTextFile(path, body); // stale: its holder is gone
  }
  const timer = setInterval(() => {
    const now = new Date();
    Deno.utime(path, now, now).catch(() => {});
  }, options.refreshMs ?? 5_000);
  Deno.unrefTimer(timer);
  return {
    async release() {
      clearInterval(timer);
      await Deno.remove(path).catch(() => {});
    },
  };
}
