/**
 * @module Which gateway owns a state dir: the running gateway holds an exclusive lock on
 * `<state>/gateway.lock` for its whole life and records where it listens in
 * `<state>/gateway.json`, so a second gateway on the same dir is refused and the CLI finds the
 * running one wherever it listens (`--port 29310` included).
 */

import { join } from "./path.ts";
import { writeFileAtomic } from "./fs.ts";
import { isoTime } from "./iso_time.ts";

/** What the owning gateway records about itself in `<state>/gateway.json`. */
export interface GatewayRecord {
  pid: number;
  /** WebSocket URL a local client connects to (`ws://127.0.0.1:P` for a `lan` bind). */
  url: string;
  port: number;
  httpUrl?: string;
  /** The address it listens on. */
  bind: string;
  /** The config file it loaded, so the CLI knows whether an edit is the gateway's file. */
  configPath: string;
  /** ISO 8601. */
  startedAt: string;
  /** What its command line set, which `gateway restart` repeats (absent: nothing, or older). */
  flags?: GatewayFlags;
}

/**
 * The settings a gateway took from its command line rather than its config. Only these are
 * repeated by a restart: a value from the config follows the config as it is then.
 */
export interface GatewayFlags {
  port?: number;
  bind?: string;
  /** Whether `--auth-token` was given; the secret itself is not written down. */
  authToken?: boolean;
}

/** The lock file, the record and the pid file of the state dir `root`. */
export function ownerFiles(root: string) {
  return {
    lock: join(root, "gateway.lock"),
    record: join(root, "gateway.json"),
    pid: join(root, "gateway.pid"),
  };
}

/** Thrown by {@linkcode claimStateDir} when a live gateway already owns the state dir. */
export class StateDirBusyError extends Error {
  constructor(readonly root: string, readonly owner: GatewayRecord | undefined) {
    super(
      owner
        ? `Another gateway (pid ${owner.pid}, ${owner.url}) uses this state dir (${root}): ` +
          "stop it first (pyclaw gateway stop) or set PYCLAW_STATE_DIR to another dir"
        : `Another gateway is starting on this state dir (${root})`,
    );
    this.name = "StateDirBusyError";
  }
}

/** The claim of a state dir by this process. */
export interface StateDirClaim {
  /** Writes `gateway.json` and `gateway.pid` once the gateway listens. */
  record(record: Omit<GatewayRecord, "pid" | "startedAt">): Promise<void>;
  /** Removes the record and pid file (only if they are this process's) and drops the lock. */
  release(): void;
}

/** How many times a claim retries: a CLI probe may hold a shared lock for a moment. */
const CLAIM_TRIES = 10;
const CLAIM_RETRY_MS = 50;

/**
 * Takes the state dir for this process. A gateway that crashed leaves its files behind but not
 * its lock (the kernel drops it with the process), so a stale record never blocks a start.
 *
 * @throws {StateDirBusyError} when a live gateway holds the lock
 */
export async function claimStateDir(root: string): Promise<StateDirClaim> {
  const files = ownerFiles(root);
  // The state dir holds the token, the config and every session: its owner's alone.
  await Deno.mkdir(root, { recursive: true, mode: 0o700 });
  const lock = await Deno.open(files.lock, { read: true, write: true, create: true, mode: 0o600 });
  for (let attempt = 1;; attempt++) {
    if (await lock.tryLock(true)) break;
    if (attempt >= CLAIM_TRIES) {
      lock.close();
      throw new StateDirBusyError(root, readRecordSync(files.record));
    }
    await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_MS));
  }
  const startedAt = isoTime();
  let released = false;
  return {
    async record(fields) {
      const record: GatewayRecord = { pid: Deno.pid, ...fields, startedAt };
      await writeFileAtomic(files.record, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
      await writeFileAtomic(files.pid, `${Deno.pid}\n`, { mode: 0o600 });
    },
    release() {
      if (released) return;
      released = true;
      if (readRecordSync(files.record)?.pid === Deno.pid) removeSync(files.record);
      if (readTextSync(files.pid)?.trim() === String(Deno.pid)) removeSync(files.pid);
      // The lock file stays: removing it would let two claims lock two different inodes.
      lock.close();
    },
  };
}

/** Who owns the state dir now: `owned` is false when no process holds the lock. */
export type StateDirOwner =
  | { owned: false }
  | { owned: true; record?: GatewayRecord };

/**
 * Whether a live gateway owns `root`, and its record. The record is left out while the owner
 * is still starting (locked, not yet listening) or when it is a crashed gateway's leftover.
 */
export async function stateDirOwner(root: string): Promise<StateDirOwner> {
  const files = ownerFiles(root);
  let lock: Deno.FsFile;
  try {
    lock = await Deno.open(files.lock, { read: true });
  } catch {
    return { owned: false };
  }
  try {
    // A shared lock is granted unless a gateway holds the exclusive one.
    if (await lock.tryLock(false)) return { owned: false };
  } finally {
    lock.close();
  }
  const record = readRecordSync(files.record);
  return { owned: true, record: record && processAlive(record.pid) ? record : undefined };
}

/** {@linkcode stateDirOwner}'s `owned`, synchronously (asked where a caller cannot wait). */
export function stateDirOwnedSync(root: string): boolean {
  let lock: Deno.FsFile;
  try {
    lock = Deno.openSync(ownerFiles(root).lock, { read: true });
  } catch {
    return false;
  }
  try {
    return !lock.tryLockSync(false);
  } finally {
    lock.close();
  }
}

function readRecordSync(path: string): GatewayRecord | undefined {
  const text = readTextSync(path);
  if (!text) return undefined;
  try {
    const value = JSON.parse(text);
    return Number.isInteger(value?.pid) && typeof value.url === "string" ? value : undefined;
  } catch {
    return undefined; // torn by a crash mid-write: as good as none
  }
}

function readTextSync(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

function removeSync(path: string): void {
  try {
    Deno.removeSync(path);
  } catch { /* already gone */ }
}

/**
 * Whether process `pid` still runs. Windows has no signal 0, so it answers true there and the
 * caller's other evidence (the lock, a stop attempt) tells.
 */
export function processAlive(pid: number): boolean {
  if (pid === Deno.pid) return true;
  if (Deno.build.os === "windows") return true;
  try {
    Deno.kill(pid, "SIGCONT"); // harmless to a running process; fails when there is none
    return true;
  } catch {
    return false;
  }
}
