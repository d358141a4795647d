/**
 * @module `message`: the agent sends a message to a configured channel (Telegram now, more
 * later) or to another session. The channel's own allow rules decide who may be written to.
 */

import { z } from "zod";
import { type MessageRouter, SESSION_CHANNEL } from "./message_types.ts";
import { defineTool } from "./tool.ts";

const parameters = z.strictObject({
  channel: z.string().trim().min(1).max(64)
    .describe(`Channel id, e.g. 'telegram', or '${SESSION_CHANNEL}' for another session`),
  recipient: z.string().trim().min(1).max(256)
    .describe(
      "Chat or user id on the channel; for 'session': <sessionId> or <agentId>/<sessionId>",
    ),
  text: z.string().min(1).max(20_000).describe("Message text to send"),
});

export const messageTool = defineTool({
  name: "message",
  group: "group:message",
  description: "Send a message to a channel recipient or another session. " +
    `Channel e.g. 'telegram' (recipient: chat id) or '${SESSION_CHANNEL}'.`,
  parameters,
  async run({ channel, recipient, text }, ctx) {
    const router = ctx.services.messages as MessageRouter | undefined;
    if (!router) throw new Error("Message sending is not available: no channels are running");
    const where = await router.send({
      channel,
      recipient,
      text,
      from: { agentId: ctx.agentId, sessionId: ctx.sessionId },
      signal: ctx.signal,
    });
    return { content: `Message sent to ${where}`, data: { channel, recipient, sent: true } };
  },
});
