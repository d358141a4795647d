/** @module `health` (alias `health.check`): is the gateway up, for how long, with how many clients. */

import type { RpcContext } from "../context.ts";
import { defineMethods } from "../method_table.ts";

function health(_params: unknown, ctx: RpcContext) {
  return {
    status: "ok",
    uptime: Date.now() - ctx.gateway.startedAt,
    connections: ctx.gateway.clientCount(),
  };
}

export const healthMethods = defineMethods({
  health: { handler: health },
  // openclaw-py's own CLI (`pyclaw gateway probe` / `status`) probes with this name.
  "health.check": { handler: health },
});
