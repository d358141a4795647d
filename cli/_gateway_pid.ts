/**
 * @module The running gateway's pid, so `gateway stop` and `gateway restart` can find a gateway
 * started by hand, not only one run as a service. The state dir's lock says whether one runs;
 * its record (or `<state>/gateway.pid`) says which process it is.
 */

import { type GatewayRecord, ownerFiles, stateDirOwner } from "../core/state_owner.ts";

/** The pid file of the gateway of state dir `root`. */
export function pidFile(root: string): string {
  return ownerFiles(root).pid;
}

/** Options of {@linkcode runningPid}. */
export interface RunningPidOptions {
  /** How long to wait for a gateway that holds the lock but is still starting. @default 0 */
  waitMs?: number;
  /** Called once, when that wait begins. */
  onWait?: () => void;
}

/**
 * The pid of the gateway that holds the state dir's lock, if one does. A gateway records itself
 * only once it serves: it listens, and answers `/health` with `starting`, while the rest of it
 * loads (issue 17). With `waitMs`, such a gateway is waited for, so a `stop` asked right after a
 * start stops it instead of saying that none runs.
 */
export async function runningPid(
  root: string,
  options: RunningPidOptions = {},
): Promise<number | undefined> {
  return (await runningRecord(root, options))?.pid;
}

/** {@linkcode runningPid}'s gateway's whole record: where it listens, and its flags. */
export async function runningRecord(
  root: string,
  options: RunningPidOptions = {},
): Promise<GatewayRecord | undefined> {
  const deadline = Date.now() + (options.waitMs ?? 0);
  let waiting = false;
  for (;;) {
    const owner = await stateDirOwner(root);
    if (!owner.owned) return undefined;
    if (owner.record) return owner.record;
    if (Date.now() >= deadline) return undefined;
    if (!waiting) options.onWait?.();
    waiting = true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
