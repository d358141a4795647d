/**
 * @module The running gateway's pid, so `gateway stop` and `gateway restart` can find a gateway
 * started by hand, not only one run as a service. The state dir's lock says whether one runs;
 * its record (or `<state>/gateway.pid`) says which process it is.
 */

import { ownerFiles, stateDirOwner } from "../core/state_owner.ts";

/** The pid file of the gateway of state dir `root`. */
export function pidFile(root: string): string {
  return ownerFiles(root).pid;
}

/** The pid of the gateway that holds the state dir's lock, if one does. */
export async function runningPid(root: string): Promise<number | undefined> {
  const owner = await stateDirOwner(root);
  return owner.owned ? owner.record?.pid : undefined;
}
