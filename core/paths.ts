/** @module Where pyclaw keeps its state on disk. Every path under the state dir is built here. */

import { join, resolve, sep } from "./path.ts";

/** Environment the paths are computed from; tests pass their own. */
export type PathEnv = Record<string, string | undefined>;

function env(): PathEnv {
  return Deno.env.toObject();
}

/**
 * The user's home folder: `HOME`, else the user's entry in /etc/passwd. node:os's homedir (which
 * loads Deno's Node compatibility layer at start, issue 17) asks getpwuid instead; the two differ
 * only without HOME for a user whose entry comes from another source (LDAP), refused here.
 */
export function homedir(): string {
  const home = Deno.env.get("HOME");
  if (home) return home;
  // Read once: callers on a turn's path (the skills folders' `~`) must not read a file each time.
  return passwdHome ??= homeFromPasswd();
}

let passwdHome: string | undefined;

function homeFromPasswd(): string {
  const uid = Deno.uid();
  let passwd = "";
  try {
    passwd = Deno.readTextFileSync("/etc/passwd");
  } catch { /* no passwd file: refused below */ }
  for (const line of passwd.split("\n")) {
    const fields = line.split(":");
    if (fields.length >= 7 && fields[2] === String(uid) && fields[5]) return fields[5];
  }
  throw new Error(
    "HOME is not set and /etc/passwd names no home for this user: set HOME or PYCLAW_STATE_DIR",
  );
}

/** The state dir: `PYCLAW_STATE_DIR`, else `~/.pyclaw`. */
export function stateDir(vars: PathEnv = env()): string {
  const dir = vars.PYCLAW_STATE_DIR?.trim();
  return dir ? resolve(dir) : join(homedir(), ".pyclaw");
}

/** The config file: `PYCLAW_CONFIG_PATH`, else `<state>/pyclaw.json`. */
export function configPath(vars: PathEnv = env()): string {
  const file = vars.PYCLAW_CONFIG_PATH?.trim();
  return file ? resolve(file) : join(stateDir(vars), "pyclaw.json");
}

/** Paths of everything the gateway keeps under one state dir. */
export function statePaths(root: string) {
  return {
    root,
    tokenFile: join(root, "gateway.token"),
    logsDir: join(root, "logs"),
    logFile: join(root, "logs", "pyclaw.log"),
    agentsDir: join(root, "agents"),
    sessionsDir: (agentId: string) => join(root, "agents", agentId, "sessions"),
    usageFile: join(root, "usage.jsonl"),
    cronDir: join(root, "cron"),
    plansDir: join(root, "plans"),
    pairingsFile: join(root, "devices.json"),
    backupsDir: join(root, "backups"),
    modelsDir: join(root, "models"),
    browserDir: join(root, "browser"),
    skillsDir: join(root, "skills"),
    workspaceDir: join(root, "workspace"),
    mediaDir: join(root, "media"),
    /** Memory search indexes, one SQLite file per agent (never in the workspace). */
    memoryDir: join(root, "memory"),
    /** What `gateway run` remembers of the last config it validated (core/config/start_memo.ts). */
    startMemoFile: join(root, "cache", "gateway-start.json"),
  };
}

export type StatePaths = ReturnType<typeof statePaths>;

/**
 * Resolves `path` against `root` and returns it only if it stays inside `root`.
 *
 * @returns the absolute path, or `undefined` when it escapes `root`
 */
export function containedPath(root: string, path: string): string | undefined {
  if (path.includes("\0")) return undefined;
  const base = resolve(root);
  const full = resolve(base, path);
  return full === base || full.startsWith(base.endsWith(sep) ? base : base + sep)
    ? full
    : undefined;
}

/**
 * Like {@linkcode containedPath}, and also follows symbolic links of the part that exists, so a
 * link inside `root` that points outside it is refused too.
 */
export async function containedRealPath(root: string, path: string): Promise<string | undefined> {
  const full = containedPath(root, path);
  if (!full) return undefined;
  let realRoot: string;
  try {
    realRoot = await Deno.realPath(root);
  } catch {
    return full; // nothing exists yet, so nothing can link out
  }
  let existing = full;
  let rest = "";
  for (;;) {
    try {
      const real = await Deno.realPath(existing);
      return containedPath(realRoot, join(real, rest)) ? full : undefined;
    } catch {
      const parent = resolve(existing, "..");
      if (parent === existing) return undefined;
      rest = join(existing.slice(parent.length + 1), rest);
      existing = parent;
    }
  }
}

const ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

/**
 * Whether `id` is an agent or session id that is safe as a file name under the state dir: 1-128
 * letters, digits and `_ . : -`, not starting with one of `. : -`, and without `..`. The
 * session store's rule, and the CLI's for a SESSION argument, which checks it before anything
 * connects.
 *
 * @example
 * ```ts
 * isValidSessionId("chat-2024.1"); // true
 * isValidSessionId("bad id"); // false
 * ```
 */
export function isValidSessionId(id: string): boolean {
  return ID.test(id) && !id.includes("..");
}
