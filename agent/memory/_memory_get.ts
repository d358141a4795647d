/**
 * @module `memory_get`: the lines of a memory file or a session around a search hit. Only the
 * files memory search indexes can be read (`MEMORY.md`, `memory/**.md`, `sessions/<id>.jsonl`
 * of the agent), resolved and checked to stay inside their folder.
 */

import { join } from "../../core/path.ts";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import { containedRealPath } from "../../core/paths.ts";
import type { MemoryGetRequest, MemoryGetResult } from "../../tools/memory/memory_types.ts";
import { isValidSessionId } from "../sessions/session_store.ts";
import { renderEntry } from "./_sources.ts";
import type { MemorySource } from "./memory_db.ts";

/** Lines shown before and after a hit's own lines. */
const CONTEXT_LINES = 3;
const DEFAULT_LINES = 200;
const MAX_LINES = 2_000;

interface Roots {
  workspaceDir: string;
  sessionsDir: string;
  sources: readonly MemorySource[];
}

/**
 * Reads the lines a request names.
 *
 * @throws {GatewayError} INVALID_PARAMS for an id or path that is not a memory file or a first
 * line past its end, NOT_FOUND for a file that does not exist
 */
export async function readMemoryLines(
  request: MemoryGetRequest,
  roots: Roots,
): Promise<MemoryGetResult> {
  let path = request.path;
  let from = request.from ?? 1;
  let count = request.lines ?? DEFAULT_LINES;
  // The first line asked for, before a hit's context lines: it must lie inside the file.
  let first = from;
  if (request.id !== undefined) {
    const match = /^(.+)#L(\d+)(?:-L(\d+))?$/.exec(request.id);
    const start = Number(match?.[2]);
    const end = Number(match?.[3] ?? match?.[2]);
    if (!match || start < 1 || end < start) {
      throw new GatewayError(ErrorCode.INVALID_PARAMS, `Invalid memory id: ${request.id}`);
    }
    first = start;
    path = match[1];
    from = Math.max(1, start - CONTEXT_LINES);
    count = end - from + 1 + CONTEXT_LINES;
  }
  if (!path) throw new GatewayError(ErrorCode.INVALID_PARAMS, "Give id or path");
  count = Math.max(1, Math.min(MAX_LINES, count));
  const { file, source } = await resolveMemoryPath(path, roots);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new GatewayError(ErrorCode.NOT_FOUND, `Memory file not found: ${path}`);
    }
    throw error;
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  // An empty file reads as empty from its first line; past the end is a mistake to say so.
  if (first > Math.max(1, lines.length)) {
    throw new GatewayError(
      ErrorCode.INVALID_PARAMS,
      `Line ${first} is past the end of ${path}, which has ${lines.length} ` +
        `line${lines.length === 1 ? "" : "s"}`,
    );
  }
  const slice = lines.slice(from - 1, from - 1 + count);
  const shown = source === "sessions"
    ? slice.map((raw, i) => sessionLine(raw, from + i)).filter((line) => line !== undefined)
    : slice;
  return {
    path,
    source,
    from,
    to: from + slice.length - 1,
    totalLines: lines.length,
    text: shown.join("\n"),
  };
}

function sessionLine(raw: string, line: number): string | undefined {
  try {
    const rendered = renderEntry(JSON.parse(raw));
    return rendered && `[L${line}${rendered.time ? ` ${rendered.time}` : ""}] ${rendered.text}`;
  } catch {
    return undefined;
  }
}

async function resolveMemoryPath(
  path: string,
  roots: Roots,
): Promise<{ file: string; source: MemorySource }> {
  const refuse = () => new GatewayError(ErrorCode.INVALID_PARAMS, `Not a memory file: ${path}`);
  const segments = path.split("/");
  if (path.includes("\0") || path.includes("\\") || segments.some((s) => s === ".." || !s)) {
    throw refuse();
  }
  const session = /^sessions\/(.+)\.jsonl$/.exec(path);
  if (session) {
    if (!roots.sources.includes("sessions") || !isValidSessionId(session[1])) throw refuse();
    return { file: join(roots.sessionsDir, `${session[1]}.jsonl`), source: "sessions" };
  }
  const isMemory = path === "MEMORY.md" || path === "memory.md" ||
    (segments[0] === "memory" && segments.length > 1 && path.toLowerCase().endsWith(".md"));
  if (!isMemory || !roots.sources.includes("memory")) throw refuse();
  const file = await containedRealPath(roots.workspaceDir, path);
  if (!file) throw refuse();
  return { file, source: "memory" };
}
