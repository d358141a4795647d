/** @module `mcp.status`: each configured MCP server's transport, state, tools and last error. */

import { z } from "zod";
import { defineMethods } from "../method_table.ts";

export const mcpMethods = defineMethods({
  "mcp.status": {
    params: z.object({}),
    handler: (_params, ctx) => {
      const servers = ctx.services.mcp.status();
      return { servers, count: servers.length };
    },
  },
});
