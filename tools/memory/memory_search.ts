/**
 * @module The `memory_search` tool: full-text (and, with an embedding model, semantic) search
 * over the agent's `MEMORY.md`, `memory/*.md` and past sessions, as in OpenClaw. Each hit names
 * its file and lines (or session and time) and a score; `memory_get` reads around it.
 */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import type { MemoryHit } from "./memory_types.ts";

export const memorySearchTool = defineTool({
  name: "memory_search",
  group: "group:memory",
  description: "Search long-term memory (MEMORY.md, memory/*.md and past conversations) before " +
    "answering about earlier work, decisions, dates, people, preferences or todos. Use a few " +
    "distinctive keywords in the language the fact was written in. Returns snippets with their " +
    "source and score; read more around a hit with memory_get.",
  parameters: z.object({
    query: z.string().min(1).max(2_000).describe("Keywords or a question"),
    maxResults: z.number().int().min(1).max(50).optional().describe("Most hits (default 6)"),
  }),
  run: async ({ query, maxResults }, ctx) => {
    const memory = ctx.services.memory;
    if (!memory) return { content: "Memory search is not available here", isError: true };
    // The running session is already in context: its own turns (this very question first) would
    // only crowd out what the agent does not know.
    const result = await memory.search(ctx.agentId, query, {
      maxResults,
      excludeSessions: [ctx.sessionId],
      signal: ctx.signal,
    });
    if (result.disabled) {
      return {
        content: "Memory search is disabled (agents.defaults.memorySearch.enabled)",
        data: result,
      };
    }
    const lines = result.results.map(formatHit);
    const content = [
      lines.length ? lines.join("\n\n") : `No memories match "${query}"`,
      result.warning ? `(${result.warning})` : "",
    ].filter(Boolean).join("\n\n");
    return { content, data: result };
  },
});

function formatHit(hit: MemoryHit): string {
  const where = hit.source === "sessions"
    ? `session ${hit.sessionId}${hit.time ? ` at ${hit.time}` : ""}`
    : `${hit.path} lines ${hit.startLine}-${hit.endLine}`;
  return `[${hit.id}] (${where}, score ${hit.score})\n${hit.snippet}`;
}
