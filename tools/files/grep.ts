/**
 * @module `grep`: searches the workspace's text files for a regular expression. Patterns run on
 * RE2 (re2js), in time linear in the text as ripgrep's do: a pattern from the model (or from a
 * page it read) cannot stall the gateway with catastrophic backtracking.
 */

import { relative } from "../../core/path.ts";
import { z } from "zod";
import { defineTool } from "../tool.ts";
import {
  cutMarker,
  documentToolFor,
  looksBinary,
  MAX_TEXT_FILE_BYTES,
  resolveDir,
  walk,
} from "./_workspace_fs.ts";

/** Longest excerpt of a matching line. */
const MAX_LINE_CHARS = 300;

const parameters = z.strictObject({
  pattern: z.string().min(1).max(1_000).describe("Regular expression (RE2, as ripgrep)"),
  path: z.string().min(1).optional().describe("Folder or file"),
  include: z.string().min(1).optional().describe('File glob, e.g. "*.ts"'),
  case_insensitive: z.boolean().optional(),
  context_lines: z.number().int().min(0).max(5).optional(),
  limit: z.number().int().min(1).max(1_000).default(200).describe("Most matches"),
});

export const grepTool = defineTool({
  name: "grep",
  group: "group:file",
  description: "Search file contents for a regex; returns path:line:text.",
  parameters,
  async run({ pattern, path, include, case_insensitive, context_lines, limit }, ctx) {
    const { RE2JS } = await import("re2js");
    let regex: { test(input: string): boolean };
    try {
      regex = RE2JS.compile(pattern, case_insensitive ? RE2JS.CASE_INSENSITIVE : 0);
    } catch (error) {
      throw new Error(
        `Invalid regular expression ${pattern}: ${(error as Error).message} (RE2 syntax: ` +
          "no lookaround or backreferences)",
      );
    }
    const root = await resolveDir(ctx, path);
    const info = await Deno.stat(root);
    const base = info.isDirectory ? root : ctx.workspaceDir;
    const { default: picomatch } = await import("picomatch");
    const included = include
      ? picomatch(include, { basename: !include.includes("/"), dot: true })
      : () => true;
    const files = info.isDirectory
      ? walk(ctx, root, { signal: ctx.signal })
      : single(root, relative(base, root));
    const out: string[] = [];
    let matches = 0;
    let searched = 0;
    let cut = false;
    for await (const file of files) {
      if (!file.isFile || !included(file.path) || documentToolFor(file.path)) continue;
      const size = (await Deno.stat(file.full).catch(() => undefined))?.size ?? 0;
      if (size > MAX_TEXT_FILE_BYTES) continue;
      const bytes = await Deno.readFile(file.full).catch(() => undefined);
      if (!bytes || looksBinary(bytes)) continue;
      searched++;
      const lines = new TextDecoder().decode(bytes).split("\n");
      // A final newline ends the last line; it does not start an empty one. An empty file has
      // no lines at all (grep finds no `^$` in it), a file of one newline has one empty line.
      if (lines.at(-1) === "") lines.pop();
      const hits: number[] = [];
      for (const [i, line] of lines.entries()) {
        if (!regex.test(line)) continue;
        if (matches === limit) {
          cut = true;
          break;
        }
        matches++;
        hits.push(i);
      }
      out.push(...excerpts(file.path, lines, hits, context_lines ?? 0, out.length > 0));
      if (cut) break;
    }
    if (matches === 0) {
      return { content: `No matches (${searched} files searched)`, data: { matches: 0, searched } };
    }
    if (cut) out.push(cutMarker(limit, "matches", "narrow path or include, or raise limit"));
    return { content: out.join("\n"), data: { matches, searched, truncated: cut } };
  },
});

async function* single(full: string, path: string) {
  yield { path, full, isFile: true, isDirectory: false };
}

/**
 * The matching lines as `path:n:text`, with `context` lines around them as `path:n-text`:
 * overlapping or touching windows merge, and `--` stands only between groups, as grep prints
 * them. grep writes a context line `path-n-text`; the colon after the path is kept so that a path
 * with dashes and digits (`notes-2-draft.md`) still reads one way.
 */
function excerpts(
  path: string,
  lines: string[],
  hits: number[],
  context: number,
  after: boolean,
): string[] {
  const clip = (text: string) =>
    text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}\u2026` : text;
  if (context === 0) return hits.map((at) => `${path}:${at + 1}:${clip(lines[at])}`);
  const matched = new Set(hits);
  const out: string[] = [];
  let shownTo = -1;
  for (const at of hits) {
    const start = Math.max(0, at - context);
    if (shownTo < 0 ? after : start > shownTo + 1) out.push("--");
    const from = Math.max(start, shownTo + 1);
    const to = Math.min(lines.length - 1, at + context);
    for (let j = from; j <= to; j++) {
      out.push(`${path}:${j + 1}${matched.has(j) ? ":" : "-"}${clip(lines[j])}`);
    }
    shownTo = Math.max(shownTo, to);
  }
  return out;
}
