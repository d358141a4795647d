/** @module `channels.*`: the chat channels (webchat, telegram) and their state. */

import { z } from "zod";
import { defineMethods } from "../method_table.ts";

export const channelsMethods = defineMethods({
  "channels.list": {
    params: z.object({}).passthrough(),
    handler: (_params, ctx) => ctx.services.channels.list(),
  },
  "channels.status": {
    // The spec names the param either way.
    params: z.object({
      channel_id: z.string().min(1).max(64).optional(),
      channelId: z.string().min(1).max(64).optional(),
    }).refine((p) => p.channel_id ?? p.channelId, {
      message: "channel_id or channelId is required",
    }),
    handler: (params, ctx) =>
      ctx.services.channels.status((params.channel_id ?? params.channelId)!),
  },
});
