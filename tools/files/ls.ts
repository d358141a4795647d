/** @module `ls`: a workspace folder's entries in name order, with sizes. */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { cutMarker, resolveDir, walk } from "./_workspace_fs.ts";

/** Entries listed at most. */
const MAX_ENTRIES = 500;
/** How deep `recursive` goes. */
const MAX_DEPTH = 3;

const parameters = z.strictObject({
  path: z.string().min(1).optional(),
  recursive: z.boolean().optional().describe("Up to 3 levels"),
});

export const lsTool = defineTool({
  name: "ls",
  group: "group:file",
  description: "List a folder (folders end in /).",
  parameters,
  async run({ path, recursive }, ctx) {
    const root = await resolveDir(ctx, path);
    if (!(await Deno.stat(root)).isDirectory) throw new Error(`Not a folder: ${path}`);
    const lines: string[] = [];
    const entries: { path: string; type: "dir" | "file"; size?: number }[] = [];
    let cut = false;
    for await (
      const entry of walk(ctx, root, { maxDepth: recursive ? MAX_DEPTH : 1, signal: ctx.signal })
    ) {
      if (entries.length === MAX_ENTRIES) {
        cut = true;
        break;
      }
      if (entry.isDirectory) {
        entries.push({ path: entry.path, type: "dir" });
        lines.push(`${entry.path}/`);
      } else {
        const size = (await Deno.stat(entry.full).catch(() => undefined))?.size ?? 0;
        entries.push({ path: entry.path, type: "file", size });
        lines.push(`${entry.path}  (${formatSize(size)})`);
      }
    }
    if (cut) lines.push(cutMarker(MAX_ENTRIES, "entries", "list a subfolder"));
    return {
      content: lines.length ? lines.join("\n") : "(empty folder)",
      data: { entries, truncated: cut },
    };
  },
});

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
