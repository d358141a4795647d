/** @module `mcp.status`: each configured MCP server's transport, state, tools and last error. */

import { defineMethods } from "../method_table.ts";

export const mcpMethods = defineMethods({
  "mcp.status": {
    handler: (_params, ctx) => {
      const servers = ctx.services.mcp.status();
      return { servers, count: servers.length };
    },
  },
});
