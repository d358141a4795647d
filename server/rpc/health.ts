/** @module `health`: is the gateway up, for how long, with how many clients. */

import { z } from "zod";
import { defineMethods } from "../method_table.ts";

export const healthMethods = defineMethods({
  health: {
    params: z.object({}).passthrough(),
    handler: (_params, ctx) => ({
      status: "ok",
      uptime: Date.now() - ctx.gateway.startedAt,
      connections: ctx.gateway.clients().length,
    }),
  },
});
