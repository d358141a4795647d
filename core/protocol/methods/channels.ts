/** @module Contract of `channels.*`: the chat channels (webchat, telegram) and their state. */

import { z } from "zod";
import { methods } from "../contract.ts";
import { isoTime, noParams } from "./_shared.ts";

/** A channel's state, as `channels.list` and `channels.status` show it. */
export const channelState = z.enum([
  "running",
  "starting",
  "reconnecting",
  "error",
  "stopped",
  "disabled",
  "unconfigured",
]);

/** One channel in `channels.list` (and, with `kind: "channel"`, in `system.presence`). */
export const channelSummary = z.object({ id: z.string(), type: z.string(), status: channelState });

export const channelsContract = methods({
  "channels.list": {
    summary: "Every channel with its state",
    params: noParams,
    result: z.array(channelSummary),
  },
  "channels.status": {
    summary: "One channel's state and counters",
    // The spec names the param either way.
    params: z.object({
      channel_id: z.string().min(1).max(64).optional(),
      channelId: z.string().min(1).max(64).optional(),
    }).refine((p) => p.channel_id ?? p.channelId, {
      message: "channel_id or channelId is required",
    }),
    result: z.object({
      channel_id: z.string(),
      name: z.string(),
      type: z.string(),
      running: z.boolean(),
      status: channelState,
      metrics: z.object({
        received: z.number(),
        sent: z.number(),
        rejected: z.number(),
        errors: z.number(),
        reconnects: z.number(),
        lastMessageAt: isoTime.optional(),
        lastError: z.string().optional(),
        nextRetryAt: isoTime.optional(),
      }).optional(),
    }),
  },
});
