/** @module `find`: workspace files whose path matches a glob. */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { cutMarker, resolveDir, walk } from "./_workspace_fs.ts";

const parameters = z.strictObject({
  pattern: z.string().min(1).max(1_000).describe('Glob, e.g. "*.md" or "src/**/*.ts"'),
  path: z.string().min(1).optional(),
  limit: z.number().int().min(1).max(5_000).default(500),
});

export const findTool = defineTool({
  name: "find",
  group: "group:file",
  description: "Find files by glob, relative to path.",
  parameters,
  async run({ pattern, path, limit }, ctx) {
    const root = await resolveDir(ctx, path);
    if (!(await Deno.stat(root)).isDirectory) throw new Error(`Not a folder: ${path}`);
    const { default: picomatch } = await import("picomatch");
    // A pattern without a slash matches a file name at any depth, as `find -name` does.
    const matches = picomatch(pattern, { basename: !pattern.includes("/"), dot: true });
    const found: string[] = [];
    let cut = false;
    for await (const entry of walk(ctx, root, { signal: ctx.signal })) {
      if (!entry.isFile || !matches(entry.path)) continue;
      if (found.length === limit) {
        cut = true;
        break;
      }
      found.push(entry.path);
    }
    if (found.length === 0) return { content: `No files match ${pattern}`, data: { files: [] } };
    const lines = cut ? [...found, cutMarker(limit, "files", "narrow the pattern")] : found;
    return { content: lines.join("\n"), data: { files: found, truncated: cut } };
  },
});
