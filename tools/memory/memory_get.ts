/**
 * @module The `memory_get` tool: the text around a `memory_search` hit (by its id), or lines of
 * a memory file (`MEMORY.md`, `memory/...md`) or past session (`sessions/<id>.jsonl`).
 */

import { z } from "zod";
import { defineTool } from "../tool.ts";

export const memoryGetTool = defineTool({
  name: "memory_get",
  group: "group:memory",
  description: "Read the full text around a memory_search hit: pass its id, or a path " +
    "(MEMORY.md, memory/<file>.md, sessions/<id>.jsonl) with an optional first line and count.",
  parameters: z.object({
    id: z.string().min(1).max(1_000).optional().describe("A hit's id from memory_search"),
    path: z.string().min(1).max(1_000).optional().describe("A memory file or session path"),
    from: z.number().int().min(1).optional().describe("First line (default 1)"),
    lines: z.number().int().min(1).max(2_000).optional().describe("How many lines (default 200)"),
  }).refine((args) => args.id !== undefined || args.path !== undefined, {
    message: "Give id or path",
  }),
  run: async (args, ctx) => {
    const memory = ctx.services.memory;
    if (!memory) return { content: "Memory is not available here", isError: true };
    const result = await memory.get(ctx.agentId, args);
    const header = result.totalLines === 0
      ? `${result.path} is empty`
      : `${result.path} lines ${result.from}-${result.to} of ${result.totalLines}`;
    return { content: `${header}\n${result.text}`, data: result };
  },
});
