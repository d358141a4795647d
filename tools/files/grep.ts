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
      for (const [i, line] of lines.entries()) {
        if (!regex.test(line)) continue;
        if (matches === limit) {
          cut = true;
          break;
        }
        matches++;
        out.push(...excerpt(file.path, lines, i, context_lines ?? 0));
      }
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

function excerpt(path: string, lines: string[], at: number, context: number): string[] {
  const clip = (text: string) =>
    text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}\u2026` : text;
  if (context === 0) return [`${path}:${at + 1}:${clip(lines[at])}`];
  const out: string[] = [];
  for (let j = Math.max(0, at - context); j <= Math.min(lines.length - 1, at + context); j++) {
    out.push(`${path}:${j + 1}${j === at ? ":" : "-"}${clip(lines[j])}`);
  }
  out.push("--");
  return out;
}
