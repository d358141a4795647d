/**
 * @module `memory.*` (beyond the spec, documented in docs/protocol.md): search an agent's
 * long-term memory, see what its index holds, and rebuild it.
 */

import { z } from "zod";
import { DEFAULT_AGENT_ID } from "../../agent/agents.ts";
import { defineMethods } from "../method_table.ts";

const agentId = z.string().min(1).max(64);

export const memoryMethods = defineMethods({
  "memory.search": {
    params: z.object({
      query: z.string().min(1).max(2_000),
      agentId: agentId.optional(),
      limit: z.number().int().min(1).max(50).optional(),
    }),
    handler: ({ query, agentId, limit }, ctx) =>
      ctx.services.memory.search(agentId ?? DEFAULT_AGENT_ID, query, {
        maxResults: limit,
        signal: ctx.signal,
      }),
  },
  "memory.status": {
    params: z.object({ agentId: agentId.optional() }),
    handler: async ({ agentId }, ctx) => {
      const agents = await ctx.services.memory.status(agentId);
      return { agents, embeddingError: ctx.services.memory.embedderError() ?? null };
    },
  },
  "memory.reindex": {
    params: z.object({ agentId: agentId.optional() }),
    handler: async ({ agentId }, ctx) => ({
      agents: await ctx.services.memory.reindex(agentId),
    }),
  },
});
