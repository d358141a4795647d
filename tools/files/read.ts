/** @module `read`: a text file of the workspace by lines, numbered, within caps. */

import { z } from "zod";
import { resolveToolPath } from "../tool_paths.ts";
import { defineTool } from "../tool.ts";
import { readTextFile } from "./_workspace_fs.ts";

/** Lines returned when `limit` is not given. */
const DEFAULT_LINES = 2_000;
/** A longer line is cut (minified code, data on one line). */
const MAX_LINE_CHARS = 2_000;
/** Characters returned at most, whatever the line count. */
const MAX_CHARS = 50_000;

const parameters = z.strictObject({
  path: z.string().min(1),
  offset: z.number().int().min(1).optional().describe("First line (1-based)"),
  limit: z.number().int().min(1).max(10_000).optional().describe("Lines to read"),
});

export const readTool = defineTool({
  name: "read",
  group: "group:file",
  description: "Read a text file, with line numbers.",
  parameters,
  async run({ path, offset, limit }, ctx) {
    const full = await resolveToolPath(ctx, path);
    const text = await readTextFile(full, path);
    const lines = text.split("\n");
    if (lines.at(-1) === "") lines.pop();
    const first = offset ?? 1;
    if (first > lines.length && lines.length > 0) {
      throw new Error(`offset ${first} is past the end: ${path} has ${lines.length} lines`);
    }
    const wanted = lines.slice(first - 1, first - 1 + (limit ?? DEFAULT_LINES));
    const out: string[] = [];
    let chars = 0;
    let longLines = 0;
    for (const [i, raw] of wanted.entries()) {
      let line = raw;
      if (line.length > MAX_LINE_CHARS) {
        line = `${line.slice(0, MAX_LINE_CHARS)}\u2026 [line cut at ${MAX_LINE_CHARS} chars]`;
        longLines++;
      }
      const numbered = `${String(first + i).padStart(6)}\t${line}`;
      if (chars + numbered.length > MAX_CHARS && out.length > 0) break;
      chars += numbered.length + 1;
      out.push(numbered);
    }
    const last = first + out.length - 1;
    const more = last < lines.length;
    if (more) {
      out.push(
        `[Cut: showing lines ${first}-${last} of ${lines.length}; read on with offset=${last + 1}]`,
      );
    }
    return {
      content: lines.length === 0 ? "(empty file)" : out.join("\n"),
      data: {
        path,
        startLine: first,
        endLine: last,
        totalLines: lines.length,
        truncated: more,
        longLinesCut: longLines,
      },
    };
  },
});
