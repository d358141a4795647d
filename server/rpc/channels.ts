/** @module `channels.*`: the chat channels (webchat, telegram) and their state. */

import { defineMethods } from "../method_table.ts";

export const channelsMethods = defineMethods({
  "channels.list": {
    handler: (_params, ctx) => ctx.services.channels.list(),
  },
  "channels.status": {
    // The spec names the param either way.
    handler: (params, ctx) =>
      ctx.services.channels.status((params.channel_id ?? params.channelId)!),
  },
});
