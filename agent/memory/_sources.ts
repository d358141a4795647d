/**
 * @module What the memory index reads: the workspace's `MEMORY.md` and `memory/**.md` (paths
 * relative to the workspace), and the agent's session transcripts (`sessions/<id>.jsonl`),
 * which are read from where the last indexing stopped, since sessions only grow between edits.
 */

import { join } from "../../core/path.ts";
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

/**
 * The workspace's memory files. Symbolic links are skipped, so nothing outside is read. Every
 * search runs this, and a handful of synchronous `stat`s costs far less than the event-loop
 * round trips of asynchronous ones.
 */
export function findMemoryFiles(workspaceDir: string): FoundFile[] {
  const found: FoundFile[] = [];
  for (const name of ROOT_FILES) {
    const hit = statFile(join(workspaceDir, name), name, "memory");
    if (hit) found.push(hit);
  }
  const walk = (dir: string, rel: string, depth: number) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return; // no memory folder yet
    }
    for (const entry of entries) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory && depth < 8 && !entry.name.startsWith(".")) {
        walk(join(dir, entry.name), path, depth + 1);
      } else if (entry.isFile && entry.name.toLowerCase().endsWith(".md")) {
        const hit = statFile(join(dir, entry.name), path, "memory");
        if (hit) found.push(hit);
      }
    }
  };
  walk(join(workspaceDir, "memory"), "memory", 0);
  return found;
}

/** The agent's session files. */
export async function findSessionFiles(sessionsDir: string): Promise<FoundFile[]> {
  const found: FoundFile[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(sessionsDir));
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!entry.isFile || !entry.name.endsWith(".jsonl")) continue;
    const hit = statFile(join(sessionsDir, entry.name), `sessions/${entry.name}`, "sessions");
    if (hit) found.push(hit);
  }
  return found;
}

/** One session file, when it exists. */
export function statSessionFile(sessionsDir: string, sessionId: string): FoundFile | undefined {
  const name = `${sessionId}.jsonl`;
  return statFile(join(sessionsDir, name), `sessions/${name}`, "sessions");
}

function statFile(file: string, path: string, source: MemorySource): FoundFile | undefined {
  try {
    const stat = Deno.lstatSync(file);
    if (!stat.isFile) return undefined;
    return { path, source, file, size: stat.size, mtimeMs: stat.mtime?.getTime() ?? 0 };
  } catch {
    return undefined;
  }
}

/** Bytes `[from, to)` of a file. */
export async function readRange(file: string, from: number, to: number): Promise<Uint8Array> {
  const handle = await Deno.open(file, { read: true });
  try {
    await handle.seek(from, Deno.SeekMode.Start);
    const bytes = new Uint8Array(Math.max(0, to - from));
    let read = 0;
    while (read < bytes.length) {
      const n = await handle.read(bytes.subarray(read));
      if (n === null) break;
      read += n;
    }
    return bytes.subarray(0, read);
  } finally {
    handle.close();
  }
}

/** The last bytes before `offset`, as hex, to compare with what was recorded then. */
export async function tailOf(file: string, offset: number): Promise<string> {
  const bytes = await readRange(file, Math.max(0, offset - TAIL_BYTES), offset);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
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
