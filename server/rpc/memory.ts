/**
 * @module `memory.*` (beyond the spec, documented in docs/protocol.md): search an agent's
 * long-term memory, see what its index holds, and rebuild it.
 */

import { DEFAULT_AGENT_ID } from "../../agent/agents.ts";
import { defineMethods } from "../method_table.ts";

export const memoryMethods = defineMethods({
  "memory.search": {
    handler: ({ query, agentId, limit }, ctx) =>
      ctx.services.memory.search(agentId ?? DEFAULT_AGENT_ID, query, {
        maxResults: limit,
        signal: ctx.signal,
      }),
  },
  "memory.status": {
    handler: async ({ agentId }, ctx) => {
      const agents = await ctx.services.memory.status(agentId);
      return { agents, embeddingError: (await ctx.services.memory.embedderError()) ?? null };
    },
  },
  "memory.reindex": {
    handler: async ({ agentId }, ctx) => ({
      agents: await ctx.services.memory.reindex(agentId),
    }),
  },
});
