/** @module Contract of `memory.*`: search an agent's long-term memory, its index, a rebuild. */

import { z } from "zod";
import { methods } from "../contract.ts";
import { isoTime } from "./_shared.ts";
import { MEMORY_SEARCH_MAX_LIMIT } from "../limits.ts";

const agentId = z.string().min(1).max(64);
const embedding = z.object({ provider: z.string(), model: z.string() });

/** What an agent's index holds (both `memory.status` and `memory.reindex` report it). */
const indexState = {
  agentId: z.string(),
  dbPath: z.string(),
  workspaceDir: z.string(),
  files: z.number(),
  chunks: z.number(),
  embedded: z.number(),
  embeddingError: z.string().nullable(),
  lastSync: z.object({
    at: isoTime,
    durationMs: z.number(),
    reindexed: z.array(z.string()),
    removed: z.array(z.string()),
  }).nullable(),
};

export const memoryContract = methods({
  "memory.search": {
    summary: "Search an agent's MEMORY.md, memory/*.md and past sessions",
    params: z.object({
      query: z.string().min(1).max(2_000),
      agentId: agentId.optional(),
      limit: z.number().int().min(1).max(MEMORY_SEARCH_MAX_LIMIT).optional(),
    }),
    result: z.object({
      results: z.array(z.object({
        id: z.string(),
        path: z.string(),
        source: z.enum(["memory", "sessions"]),
        startLine: z.number(),
        endLine: z.number(),
        score: z.number(),
        snippet: z.string(),
        sessionId: z.string().optional(),
        time: isoTime.optional(),
      })),
      mode: z.enum(["hybrid", "text"]),
      embedding: embedding.optional(),
      disabled: z.boolean().optional(),
      warning: z.string().optional(),
    }),
  },
  "memory.status": {
    summary: "What each agent's memory index holds (or one agent's)",
    params: z.object({ agentId: agentId.optional() }),
    result: z.object({
      agents: z.array(z.object({
        ...indexState,
        enabled: z.boolean(),
        sources: z.array(z.string()),
        fts: z.literal("trigram"),
        embedding: embedding.nullable(),
      })),
      embeddingError: z.string().nullable(),
    }),
  },
  "memory.reindex": {
    summary: "Rebuild each agent's memory index (or one agent's) from scratch",
    params: z.object({ agentId: agentId.optional() }),
    result: z.object({
      agents: z.array(z.object({
        ...indexState,
        at: isoTime,
        durationMs: z.number(),
        reindexed: z.array(z.string()),
        removed: z.array(z.string()),
      })),
    }),
  },
});
