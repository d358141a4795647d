/**
 * @module `tools.list`, `tools.exec_approve` and `tools.exec_pending`: the agent tool pool and exec
 * approvals.
 */

import { DEFAULT_AGENT_ID, resolveAgent } from "../../agent/agents.ts";
import { GatewayError } from "../../core/errors.ts";
import { toolAllowed } from "../../tools/tool_policy.ts";
import { defineMethods } from "../method_table.ts";

export const toolsMethods = defineMethods({
  "tools.list": {
    // Built-ins first, then each MCP server's tools as `mcp:<server>:<tool>`.
    handler: async ({ agentId }, ctx) => {
      const config = ctx.config();
      const agent = resolveAgent(config, agentId ?? DEFAULT_AGENT_ID);
      await ctx.services.tools.ready();
      return ctx.services.tools.list().map((tool) => ({
        name: tool.name,
        description: tool.description,
        group: tool.group ?? null,
        allowed: toolAllowed(tool, [config.tools, agent.tools]),
      }));
    },
  },
  "tools.exec_approve": {
    handler: ({ requestId, approved }, ctx) => {
      // Without a broker (the CLI's in-process route) no command ever waits for approval.
      if (!ctx.services.approvals?.resolve(requestId, approved)) {
        throw new GatewayError("NOT_FOUND", `Approval request not found: ${requestId}`);
      }
      return { ok: true };
    },
  },
  // Not in the spec: a client that connects while a command waits (a reloaded control UI, a phone
  // opened later) must still be able to see and answer it.
  "tools.exec_pending": {
    handler: (_params, ctx) => {
      const requests = ctx.services.approvals?.pending() ?? [];
      return { requests, count: requests.length };
    },
  },
});
