/** @module `web.status`: whether the web chat / control UI has connected clients. */

import { defineMethods } from "../method_table.ts";

/** Client names the control UI and web chat connect with. */
export const WEB_CLIENT_NAMES = /^(pyclaw-control-ui|webchat)\b/;

export const webMethods = defineMethods({
  "web.status": {
    handler: (_params, ctx) => {
      const webClients = ctx.gateway.clients().filter((c) => WEB_CLIENT_NAMES.test(c.clientName));
      return {
        connected: webClients.length > 0,
        clients: webClients.length,
        enabled: ctx.config().gateway.controlUi.enabled,
        uptime: Date.now() - ctx.gateway.startedAt,
      };
    },
  },
});
