/** @module Where session files are: ids that are safe file names, listing, and client paths. */

import { basename, join, relative, resolve, sep } from "../../core/path.ts";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import { containedRealPath, isValidSessionId, type StatePaths } from "../../core/paths.ts";
import { inBatches } from "../../core/fs.ts";

/** A session file as `sessions.list` shows it. */
export interface SessionFileInfo {
  agentId: string;
  sessionId: string;
  file: string;
  path: string;
  size: number;
  updatedAt: string | null;
}

/** A file named by a client, resolved and checked to be a session file. */
export interface SessionRef {
  agentId: string;
  sessionId: string;
  path: string;
}

export { isValidSessionId };

/**
 * Every session file of every agent, or of `agentId` only (only its folder is read), newest
 * first. An id that is not a safe file name has no sessions.
 */
export async function listSessionFiles(
  paths: StatePaths,
  options: { agentId?: string } = {},
): Promise<SessionFileInfo[]> {
  const agentIds = options.agentId === undefined
    ? await directoryNames(paths.agentsDir, "dir")
    : isValidSessionId(options.agentId)
    ? [options.agentId]
    : [];
  const files: { agentId: string; dir: string; file: string }[] = [];
  for (const agentId of agentIds) {
    const dir = paths.sessionsDir(agentId);
    for (const file of await directoryNames(dir, "file")) {
      if (file.endsWith(".jsonl")) files.push({ agentId, dir, file });
    }
  }
  // A deployment gathers thousands of sessions (channels, cron): their stats go in batches.
  const sessions = await inBatches(files, async ({ agentId, dir, file }) => {
    const path = join(dir, file);
    try {
      const stat = await Deno.stat(path);
      return {
        agentId,
        sessionId: file.slice(0, -".jsonl".length),
        file,
        path,
        size: stat.size,
        updatedAt: stat.mtime?.toISOString() ?? null,
      };
    } catch {
      return undefined; // removed while listing
    }
  });
  return sessions
    .filter((session): session is SessionFileInfo => session !== undefined)
    .sort((a, b) => (b.updatedAt ?? "").localeCompare(a.updatedAt ?? ""));
}

/** How many session files `agentId` has: one read of its folder, no `stat` per file. */
export async function countSessionFiles(paths: StatePaths, agentId: string): Promise<number> {
  if (!isValidSessionId(agentId)) return 0;
  const names = await directoryNames(paths.sessionsDir(agentId), "file");
  return names.filter((file) => file.endsWith(".jsonl")).length;
}

/**
 * Resolves a client-supplied path to a session file: a `path` or a `file` as `sessions.list`
 * gives them (absolute, relative to the state dir, or the bare `<sessionId>.jsonl` when one
 * agent has it). Nothing outside `agents/<id>/sessions/` is ever opened.
 *
 * @throws {GatewayError} INVALID_PARAMS for what is not a session file (or a bare file name
 * that several agents have), NOT_FOUND for a session file that does not exist
 */
/**
 * The agent and session a client-supplied path names, read from the path alone (nothing is
 * looked at on disk, nothing is validated beyond the ids): undefined for a bare file name or
 * what is not a session path. `resolveSessionPath` does the checks.
 */
export function sessionIdsOfPath(
  paths: StatePaths,
  path: string,
): { agentId: string; sessionId: string } | undefined {
  if (path.includes("\0") || !/[\\/]/.test(path)) return undefined;
  const parts = relative(paths.agentsDir, resolve(paths.root, path)).split(sep);
  if (parts.length !== 3 || parts[1] !== "sessions" || !parts[2].endsWith(".jsonl")) {
    return undefined;
  }
  const sessionId = parts[2].slice(0, -".jsonl".length);
  if (!isValidSessionId(parts[0]) || !isValidSessionId(sessionId)) return undefined;
  return { agentId: parts[0], sessionId };
}

export async function resolveSessionPath(paths: StatePaths, path: string): Promise<SessionRef> {
  const outside = () =>
    new GatewayError(
      ErrorCode.INVALID_PARAMS,
      `Not a session: ${path} (pass a path or file that sessions.list gives)`,
    );
  if (path.includes("\0")) throw outside();
  if (!/[\\/]/.test(path) && path.endsWith(".jsonl")) path = await byFileName(paths, path);
  const full = resolve(paths.root, path);
  const parts = relative(paths.agentsDir, full).split(sep);
  if (
    parts.length !== 3 || parts[1] !== "sessions" || !parts[2].endsWith(".jsonl") ||
    !isValidSessionId(parts[0]) || !isValidSessionId(parts[2].slice(0, -".jsonl".length))
  ) {
    throw outside();
  }
  if (!(await containedRealPath(paths.agentsDir, full))) throw outside();
  let stat: Deno.FileInfo;
  try {
    stat = await Deno.lstat(full);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new GatewayError(ErrorCode.NOT_FOUND, `Session not found: ${path}`);
    }
    throw error;
  }
  if (!stat.isFile) throw outside();
  return { agentId: parts[0], sessionId: basename(full, ".jsonl"), path: full };
}

/** The path of the one agent's session file named `file`. */
async function byFileName(paths: StatePaths, file: string): Promise<string> {
  if (!isValidSessionId(file.slice(0, -".jsonl".length))) return file;
  const owners: string[] = [];
  for (const agentId of await directoryNames(paths.agentsDir, "dir")) {
    if (!isValidSessionId(agentId)) continue;
    const candidate = join(paths.sessionsDir(agentId), file);
    if (await Deno.lstat(candidate).then((info) => info.isFile, () => false)) {
      owners.push(agentId);
    }
  }
  if (owners.length > 1) {
    throw new GatewayError(
      ErrorCode.INVALID_PARAMS,
      `Session file ${file} exists for agents ${
        owners.join(", ")
      }: pass its path from sessions.list`,
    );
  }
  if (!owners.length) throw new GatewayError(ErrorCode.NOT_FOUND, `Session not found: ${file}`);
  return join(paths.sessionsDir(owners[0]), file);
}
async function directoryNames(dir: string, kind: "dir" | "file"): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (kind === "dir" ? entry.isDirectory : entry.isFile) names.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}
