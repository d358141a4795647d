/** @module `agents.*`: the configured agents and the routing bindings of channel traffic. */

import { listAgents, listBindings } from "../../agent/agents.ts";
import { defineMethods } from "../method_table.ts";

export const agentsMethods = defineMethods({
  "agents.list": {
    handler: (_params, ctx) =>
      listAgents(ctx.config()).map((agent) => ({
        id: agent.id,
        name: agent.name,
        model: agent.model ?? null,
      })),
  },
  "agents.bindings": {
    handler: (_params, ctx) => listBindings(ctx.config()),
  },
});
