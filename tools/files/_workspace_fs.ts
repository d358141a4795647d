/**
 * @module What the file tools share: resolving a path for writing (through links that stay in
 * the workspace), walking a folder without leaving it, spotting binary and document files, and
 * the caps on what a tool returns.
 */

import { extname, join, relative } from "../../core/path.ts";
import { writeFileAtomic } from "../../core/fs.ts";
import { containedPath } from "../../core/paths.ts";
import { resolveToolPath } from "../tool_paths.ts";
import type { ToolContext } from "../tool.ts";

/** The workspace part of a tool context. */
export type WorkspaceCtx = Pick<ToolContext, "workspaceDir" | "restrictToWorkspace">;

/** Folders a search skips: tool caches and VCS data that drown real results. */
export const SKIPPED_DIRS = new Set([".git", "node_modules", "__pycache__", ".venv", "venv"]);

/** Files larger than this are not searched by `grep`, nor read whole by `read`/`edit`. */
export const MAX_TEXT_FILE_BYTES = 10 * 1024 * 1024;

/** The document tool that reads a file of this extension, if one does. */
export function documentToolFor(path: string): string | undefined {
  return DOCUMENT_TOOLS[extname(path).toLowerCase()];
}

const DOCUMENT_TOOLS: Record<string, string> = {
  ".pdf": "read_pdf",
  ".docx": "read_docx",
  ".xlsx": "read_xlsx",
  ".pptx": "read_pptx",
};

/** True when the bytes look binary (a NUL in the first 8 KiB, as git and grep judge). */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, 8192).includes(0);
}

/**
 * Resolves a path a tool will write. A link is followed to its target (which must exist and,
 * when restricted, stay inside the workspace), so a write through a link edits the target
 * instead of replacing the link; a link whose target is missing is refused, since writing it
 * could create a file wherever it points.
 *
 * @throws {Error} when the path escapes, is a folder, or is a dangling link
 */
export async function resolveWritePath(ctx: WorkspaceCtx, path: string): Promise<string> {
  const full = await resolveToolPath(ctx, path);
  const info = await Deno.lstat(full).catch(() => undefined);
  if (!info) return full;
  if (info.isDirectory) throw new Error(`Is a folder, not a file: ${path}`);
  if (!info.isSymlink) return full;
  const target = await Deno.realPath(full).catch(() => undefined);
  if (!target) throw new Error(`Link points to nothing: ${path}`);
  if ((await Deno.stat(target)).isDirectory) throw new Error(`Is a folder, not a file: ${path}`);
  return target;
}

/** Reads a text file for a tool, refusing binary, document and oversized files clearly. */
export async function readTextFile(full: string, shown: string): Promise<string> {
  const info = await Deno.stat(full).catch((error) => {
    if (error instanceof Deno.errors.NotFound) throw new Error(`File not found: ${shown}`);
    throw error;
  });
  if (info.isDirectory) throw new Error(`Is a folder, not a file: ${shown} (use ls)`);
  const tool = documentToolFor(full);
  if (tool) throw new Error(`${shown} is a document: read it with ${tool}`);
  if (info.size > MAX_TEXT_FILE_BYTES) {
    throw new Error(
      `File is too large: ${shown} is ${info.size} bytes, the limit is ${MAX_TEXT_FILE_BYTES}`,
    );
  }
  const bytes = await Deno.readFile(full);
  if (looksBinary(bytes)) throw new Error(`${shown} is a binary file, not text`);
  return new TextDecoder().decode(bytes);
}

/** One entry a walk yields. */
export interface WalkEntry {
  /** Path relative to the walk's root, with `/` separators. */
  path: string;
  full: string;
  isFile: boolean;
  isDirectory: boolean;
}

/** Options of {@linkcode walk}. */
export interface WalkOptions {
  /** How deep to go; 1 lists only the root's entries. @default Infinity */
  maxDepth?: number;
  signal?: AbortSignal;
}

/**
 * Walks `root` depth first, in name order, skipping {@linkcode SKIPPED_DIRS}. Linked folders
 * are not entered (no loops, no escapes); a linked file is yielded only when its target stays
 * inside the workspace (or the workspace is not enforced).
 */
export async function* walk(
  ctx: WorkspaceCtx,
  root: string,
  options: WalkOptions = {},
): AsyncGenerator<WalkEntry> {
  const maxDepth = options.maxDepth ?? Infinity;
  const realWorkspace = await Deno.realPath(ctx.workspaceDir).catch(() => ctx.workspaceDir);
  async function* visit(dir: string, depth: number): AsyncGenerator<WalkEntry> {
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const entry of Deno.readDir(dir)) entries.push(entry);
    } catch {
      return; // unreadable folder: skip it rather than fail the whole search
    }
    entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    for (const entry of entries) {
      options.signal?.throwIfAborted();
      const full = join(dir, entry.name);
      const path = relative(root, full).split("\\").join("/");
      if (entry.isDirectory) {
        if (SKIPPED_DIRS.has(entry.name)) continue;
        yield { path, full, isFile: false, isDirectory: true };
        if (depth < maxDepth) yield* visit(full, depth + 1);
      } else if (entry.isFile) {
        yield { path, full, isFile: true, isDirectory: false };
      } else if (entry.isSymlink) {
        const target = await Deno.realPath(full).catch(() => undefined);
        if (!target || (ctx.restrictToWorkspace && !containedPath(realWorkspace, target))) continue;
        const info = await Deno.stat(target).catch(() => undefined);
        if (info?.isFile) yield { path, full: target, isFile: true, isDirectory: false };
      }
    }
  }
  yield* visit(root, 1);
}

/** Resolves a folder argument (default: the workspace), creating a fresh workspace. */
export async function resolveDir(ctx: WorkspaceCtx, path: string | undefined): Promise<string> {
  if (path === undefined) await Deno.mkdir(ctx.workspaceDir, { recursive: true });
  const full = await resolveToolPath(ctx, path ?? ".");
  const info = await Deno.stat(full).catch(() => undefined);
  if (!info) throw new Error(`Path not found: ${path ?? "."}`);
  return full;
}

/** The marker a capped list ends with, so the model knows there is more. */
export function cutMarker(shown: number, what: string, hint: string): string {
  return `[Cut: showing the first ${shown} ${what}; ${hint}]`;
}

/** Writes a file atomically, keeping the mode of the file it replaces (an executable stays so). */
export async function writeWorkspaceFile(full: string, data: string | Uint8Array): Promise<void> {
  const mode = (await Deno.stat(full).catch(() => undefined))?.mode;
  await writeFileAtomic(full, data, mode ? { mode: mode & 0o7777 } : {});
}
