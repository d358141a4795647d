/**
 * @module Session files: `agents/<agentId>/sessions/<sessionId>.jsonl` under the state dir, one
 * JSON message a line, appended as a conversation goes. A torn last line (a crash mid-write) is
 * skipped on read and fenced off before the next append; rewrites go through a temp file.
 */

import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import { readJsonLines, writeFileAtomic } from "../../core/fs.ts";
import { containedRealPath, type StatePaths } from "../../core/paths.ts";
import type { ContentPart, ToolCall, Usage } from "../providers/types.ts";

/** One line of a session file. */
export interface SessionMessage {
  role: "user" | "assistant" | "tool";
  content: string | ContentPart[];
  /** ISO time. */
  time: string;
  /** Assistant: the tools it called. */
  toolCalls?: ToolCall[];
  /** Tool: the call it answers, and the tool's name. */
  toolCallId?: string;
  name?: string;
  /** Tool: the result failed. */
  isError?: boolean;
  /** Assistant: who answered, and what it cost. */
  provider?: string;
  model?: string;
  usage?: Usage;
  /** Assistant: the answer was cut short by an abort; what is here is the partial text. */
  aborted?: boolean;
  /** Assistant: the run failed with this message. */
  error?: string;
}

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

const ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

/** True for an agent or session id that is safe as a file name. */
export function isValidSessionId(id: string): boolean {
  return ID.test(id) && !id.includes("..");
}

/** Reads, appends and rewrites session files; one writer at a time per file. */
export class SessionStore {
  readonly paths: StatePaths;
  #locks = new Map<string, Promise<unknown>>();

  constructor(paths: StatePaths) {
    this.paths = paths;
  }

  /**
   * The file of a session.
   *
   * @throws {GatewayError} INVALID_PARAMS for an id that is not a safe file name
   */
  file(agentId: string, sessionId: string): string {
    for (const [what, id] of [["agent", agentId], ["session", sessionId]]) {
      if (!isValidSessionId(id)) {
        throw new GatewayError(ErrorCode.INVALID_PARAMS, `Invalid ${what} id: ${id}`);
      }
    }
    return join(this.paths.sessionsDir(agentId), `${sessionId}.jsonl`);
  }

  async exists(agentId: string, sessionId: string): Promise<boolean> {
    try {
      return (await Deno.stat(this.file(agentId, sessionId))).isFile;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }

  /** Every message of a session; none when the file does not exist. */
  async read(agentId: string, sessionId: string): Promise<SessionMessage[]> {
    return await readMessages(this.file(agentId, sessionId));
  }

  /** Appends messages, creating the file (mode 0600) when needed. */
  async append(agentId: string, sessionId: string, ...messages: SessionMessage[]): Promise<void> {
    if (!messages.length) return;
    const path = this.file(agentId, sessionId);
    await this.#locked(path, async () => {
      await Deno.mkdir(dirname(path), { recursive: true });
      // A crash (or another writer) may have left half a line; start ours on a fresh line so
      // both stay readable. One byte read per append is cheap next to a model call.
      const prefix = (await endsWithNewline(path)) ? "" : "\n";
      const text = prefix + messages.map((message) => JSON.stringify(message)).join("\n") + "\n";
      await Deno.writeTextFile(path, text, { append: true, create: true, mode: 0o600 });
    });
  }

  /** Replaces a session's messages through a temp file (resend, edit, reset). */
  async replace(agentId: string, sessionId: string, messages: SessionMessage[]): Promise<void> {
    await this.#replacePath(this.file(agentId, sessionId), messages);
  }

  async #replacePath(path: string, messages: SessionMessage[]): Promise<void> {
    await this.#locked(path, async () => {
      const text = messages.map((message) => JSON.stringify(message) + "\n").join("");
      await writeFileAtomic(path, text, { mode: 0o600 });
    });
  }

  /** Every session file of every agent, newest first. */
  async list(): Promise<SessionFileInfo[]> {
    const sessions: SessionFileInfo[] = [];
    for (const agentId of await directoryNames(this.paths.agentsDir, "dir")) {
      const dir = this.paths.sessionsDir(agentId);
      for (const file of await directoryNames(dir, "file")) {
        if (!file.endsWith(".jsonl")) continue;
        const path = join(dir, file);
        try {
          const stat = await Deno.stat(path);
          sessions.push({
            agentId,
            sessionId: file.slice(0, -".jsonl".length),
            file,
            path,
            size: stat.size,
            updatedAt: stat.mtime?.toISOString() ?? null,
          });
        } catch { /* removed while listing */ }
      }
    }
    return sessions.sort((a, b) => (b.updatedAt ?? "").localeCompare(a.updatedAt ?? ""));
  }

  /**
   * Resolves a client-supplied path (absolute, or relative to the state dir) to a session file.
   * Nothing outside `agents/<id>/sessions/` is ever opened.
   *
   * @throws {GatewayError} INVALID_PARAMS for a path outside the sessions folders, NOT_FOUND for
   * a session file that does not exist
   */
  async resolvePath(path: string): Promise<SessionRef> {
    const outside = () =>
      new GatewayError(ErrorCode.INVALID_PARAMS, `Path is outside the sessions folders: ${path}`);
    if (path.includes("\0")) throw outside();
    const full = resolve(this.paths.root, path);
    const parts = relative(this.paths.agentsDir, full).split(sep);
    if (
      parts.length !== 3 || parts[1] !== "sessions" || !parts[2].endsWith(".jsonl") ||
      !isValidSessionId(parts[0]) || !isValidSessionId(parts[2].slice(0, -".jsonl".length))
    ) {
      throw outside();
    }
    if (!(await containedRealPath(this.paths.agentsDir, full))) throw outside();
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

  /** The last `limit` messages of the session file at `path`. */
  async preview(path: string, limit = 50): Promise<SessionMessage[]> {
    const ref = await this.resolvePath(path);
    const messages = await readMessages(ref.path);
    return messages.slice(-limit);
  }

  /** Deletes the session file at `path`. */
  async delete(path: string): Promise<SessionRef> {
    const ref = await this.resolvePath(path);
    await this.#locked(ref.path, async () => {
      await Deno.remove(ref.path);
    });
    return ref;
  }

  /** Empties the session file at `path`, keeping the file. */
  async reset(path: string): Promise<SessionRef> {
    const ref = await this.resolvePath(path);
    await this.#replacePath(ref.path, []);
    return ref;
  }

  async #locked<T>(path: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(path) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    this.#locks.set(path, next);
    try {
      return await next;
    } finally {
      if (this.#locks.get(path) === next) this.#locks.delete(path);
    }
  }
}

async function readMessages(path: string): Promise<SessionMessage[]> {
  return (await readJsonLines(path)).filter((value): value is SessionMessage =>
    typeof value === "object" && value !== null &&
    typeof (value as { role?: unknown }).role === "string"
  );
}

async function endsWithNewline(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return true;
    throw error;
  }
  try {
    const size = (await file.stat()).size;
    if (size === 0) return true;
    await file.seek(size - 1, Deno.SeekMode.Start);
    const byte = new Uint8Array(1);
    await file.read(byte);
    return byte[0] === 10;
  } finally {
    file.close();
  }
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
