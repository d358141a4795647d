/**
 * @module What the memory index reads: the workspace's `MEMORY.md` and `memory/**.md` (paths
 * relative to the workspace), and the agent's session transcripts (`sessions/<id>.jsonl`),
 * which are read from where the last indexing stopped, since sessions only grow between edits.
 */

import { join } from "../../core/path.ts";
import { hex } from "../../core/bytes.ts";
import { bytesBefore, inBatches } from "../../core/fs.ts";
import type { SourceLine } from "./_chunking.ts";
import type { MemorySource } from "./memory_db.ts";

/** A file the index should hold, as found on disk now. */
export interface FoundFile {
  /** `MEMORY.md`, `memory/...md`, or `sessions/<id>.jsonl`. */
  path: string;
  source: MemorySource;
  /** Absolute path. */
  file: string;
  size: number;
  mtimeMs: number;
}

/** The names `MEMORY.md` may have (OpenClaw also reads a lower-case one). */
const ROOT_FILES = ["MEMORY.md", "memory.md"];
/** Bytes kept from the end of what was read, to tell an append from a rewrite. */
const TAIL_BYTES = 64;

/** What a walk of the memory files found, and the folders whose listings it read. */
export interface MemoryWalk {
  files: FoundFile[];
  /**
   * Each folder read (the workspace, for `MEMORY.md`, and `memory/` with its subfolders) with its
   * modification time (ms) as it was before its listing was read: a file made, removed or
   * renamed in one (as every atomic write is) changes it.
   */
  folders: Map<string, number>;
}

/**
 * The workspace's memory files. Symbolic links are skipped, so nothing outside is read. Every
 * call lists the folders and stats every file, asynchronously (issue 17: a search must not hold
 * the thread while a folder that gains a note a day is walked); {@linkcode MemoryListing} keeps
 * the result while watchers say nothing changed.
 */
export async function findMemoryFiles(workspaceDir: string): Promise<MemoryWalk> {
  const folders = new Map<string, number>();
  const candidates: { file: string; path: string }[] = [];
  const modified = await folderTime(workspaceDir);
  if (modified !== undefined) folders.set(workspaceDir, modified);
  for (const name of ROOT_FILES) candidates.push({ file: join(workspaceDir, name), path: name });
  const walk = async (dir: string, rel: string, depth: number) => {
    // Its time before its listing: a change while it is read shows as a change after it.
    const modified = await folderTime(dir);
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      return; // no memory folder yet
    }
    if (modified !== undefined) folders.set(dir, modified);
    for (const entry of entries) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory && depth < 8 && !entry.name.startsWith(".")) {
        await walk(join(dir, entry.name), path, depth + 1);
      } else if (entry.isFile && entry.name.toLowerCase().endsWith(".md")) {
        candidates.push({ file: join(dir, entry.name), path });
      }
    }
  };
  await walk(join(workspaceDir, "memory"), "memory", 0);
  return { files: await statFiles(candidates, "memory"), folders };
}

/** A folder's modification time (ms), or undefined when it cannot be read. */
export async function folderTime(dir: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(dir)).mtime?.getTime() ?? 0;
  } catch {
    return undefined;
  }
}

/** The agent's session files: a stat each, so only a full scan lists them (memory_index.ts). */
export async function findSessionFiles(sessionsDir: string): Promise<FoundFile[]> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(sessionsDir));
  } catch {
    return [];
  }
  const candidates = entries
    .filter((entry) => entry.isFile && entry.name.endsWith(".jsonl"))
    .map((entry) => ({ file: join(sessionsDir, entry.name), path: `sessions/${entry.name}` }));
  return await statFiles(candidates, "sessions");
}

/** The named sessions' files that exist, in the order of `sessionIds`. */
export async function statSessionFiles(
  sessionsDir: string,
  sessionIds: Iterable<string>,
): Promise<FoundFile[]> {
  const candidates = Array.from(sessionIds, (sessionId) => {
    const name = `${sessionId}.jsonl`;
    return { file: join(sessionsDir, name), path: `sessions/${name}` };
  });
  return await statFiles(candidates, "sessions");
}

/** The candidates that are plain files (symbolic links are skipped), with their sizes and times. */
async function statFiles(
  candidates: readonly { file: string; path: string }[],
  source: MemorySource,
): Promise<FoundFile[]> {
  const hits = await inBatches(candidates, ({ file, path }) => statFile(file, path, source));
  return hits.filter((hit): hit is FoundFile => hit !== undefined);
}

async function statFile(
  file: string,
  path: string,
  source: MemorySource,
): Promise<FoundFile | undefined> {
  try {
    const stat = await Deno.lstat(file);
    if (!stat.isFile) return undefined;
    return { path, source, file, size: stat.size, mtimeMs: stat.mtime?.getTime() ?? 0 };
  } catch {
    return undefined;
  }
}

/** The last bytes before `offset`, as hex, to compare with what was recorded then. */
export async function tailOf(file: string, offset: number): Promise<string> {
  return hex(await bytesBefore(file, offset, TAIL_BYTES));
}

/** A markdown file's lines. */
export function markdownLines(text: string): SourceLine[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop(); // the file's final newline ends a line, not starts one
  return lines.map((line, i) => ({ line: i + 1, text: line }));
}

/**
 * The searchable messages of a run of JSONL lines: user and assistant text, and compaction
 * summaries. Tool results are left out (they are large and repeat what the files say), and so
 * are images (stored as files beside the session). Read here rather than through the session
 * store because the index needs exact line numbers and byte offsets to read only what grew.
 */
export function sessionLines(text: string, firstLine: number): SourceLine[] {
  const lines: SourceLine[] = [];
  text.split("\n").forEach((raw, i) => {
    const entry = parseEntry(raw);
    const rendered = entry && renderEntry(entry);
    if (rendered) lines.push({ line: firstLine + i, ...rendered });
  });
  return lines;
}

function parseEntry(raw: string): Record<string, unknown> | undefined {
  if (!raw.trim()) return undefined;
  try {
    const value = JSON.parse(raw);
    return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined; // a torn line
  }
}

/**
 * One session entry as a line of text: `user: ...`, `assistant: ...`, or `summary: ...` for a
 * compaction line (docs/sessions.md), whose summary stands for the turns before it.
 */
export function renderEntry(
  entry: Record<string, unknown>,
): { text: string; time?: string } | undefined {
  const time = typeof entry.time === "string" ? entry.time : undefined;
  const label = entry.role === "compaction" ? "summary" : entry.role;
  if (label !== "user" && label !== "assistant" && label !== "summary") return undefined;
  const text = contentText(entry.content);
  if (!text.trim()) return undefined;
  return { text: `${label}: ${oneLine(text)}`, ...(time ? { time } : {}) };
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((part) => part && typeof part === "object" && part.type === "text")
    .map((part) => String(part.text ?? ""))
    .join(" ");
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
