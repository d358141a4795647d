/**
 * @module Where a tool may touch files: inside the agent's workspace when
 * `tools.restrictToWorkspace` is on (the default), anywhere otherwise. Symbolic links are
 * followed before the check, so a link inside the workspace that points out is refused too.
 */

import { isAbsolute, resolve } from "../core/path.ts";
import { containedRealPath } from "../core/paths.ts";
import type { ToolContext } from "./tool.ts";

/**
 * Resolves a path a model gave against the workspace and checks it may be used.
 *
 * @returns the absolute path
 * @throws {Error} when the path leaves the workspace while tools are restricted to it
 */
export async function resolveToolPath(
  ctx: Pick<ToolContext, "workspaceDir" | "restrictToWorkspace">,
  path: string,
): Promise<string> {
  if (path.trim() === "") throw new Error("Path is empty");
  if (path.includes("\0")) throw new Error(`Path contains a NUL byte: ${JSON.stringify(path)}`);
  if (!ctx.restrictToWorkspace) return resolve(ctx.workspaceDir, path);
  const inside = await containedRealPath(ctx.workspaceDir, path);
  if (!inside) {
    throw new Error(
      `Path is outside the workspace: ${path} (tools.restrictToWorkspace is on; ` +
        `${isAbsolute(path) ? "absolute paths must lie" : "relative paths resolve"} inside ` +
        `${ctx.workspaceDir})`,
    );
  }
  return inside;
}

/** Options for {@linkcode readToolFile}. */
export interface ReadToolFileOptions {
  /** Larger files are refused before they are read. @default 50 MiB */
  maxBytes?: number;
}

/**
 * Reads a regular file a tool was pointed at, after {@linkcode resolveToolPath}.
 *
 * @throws {Error} when the path escapes, is missing, is not a file, or is too large
 */
export async function readToolFile(
  ctx: Pick<ToolContext, "workspaceDir" | "restrictToWorkspace">,
  path: string,
  options: ReadToolFileOptions = {},
): Promise<{ path: string; bytes: Uint8Array }> {
  const maxBytes = options.maxBytes ?? 50 * 1024 * 1024;
  const full = await resolveToolPath(ctx, path);
  const info = await statFile(full, path);
  if (info.size > maxBytes) {
    throw new Error(`File is too large: ${path} is ${info.size} bytes, the limit is ${maxBytes}`);
  }
  return { path: full, bytes: await Deno.readFile(full) };
}

/** Stats a file and says clearly what is wrong when it is not a readable regular file. */
export async function statFile(full: string, shown: string): Promise<Deno.FileInfo> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(full);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`File not found: ${shown}`);
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new Error(`Permission denied: ${shown}`);
    }
    throw error;
  }
  if (!info.isFile) throw new Error(`Not a regular file: ${shown}`);
  return info;
}
