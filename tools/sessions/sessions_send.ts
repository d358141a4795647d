/**
 * @module `sessions_send`: a message to another session, run there as a turn; with `wait`, the
 * other session's answer comes back as the result.
 */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { callerOf, sessionDirectory } from "./_service.ts";

export const sessionsSendTool = defineTool({
  name: "sessions_send",
  group: "group:session",
  description: "Send a message to another session (its agent answers it there). With wait, " +
    "wait for that answer and get it back.",
  parameters: z.strictObject({
    agent_id: z.string().min(1).max(64).describe("The target session's agent"),
    session_id: z.string().min(1).max(128).describe("The target session"),
    message: z.string().min(1).max(20_000).describe("Message text to send"),
    wait: z.boolean().optional().describe("Wait for the answer (default false)"),
    timeout_seconds: z.number().int().min(1).max(600).optional()
      .describe("How long to wait for the answer (120)"),
  }),
  async run({ agent_id, session_id, message, wait, timeout_seconds }, ctx) {
    const to = { agentId: agent_id, sessionId: session_id };
    const result = await sessionDirectory(ctx).send({
      from: callerOf(ctx),
      to,
      message,
      wait: wait ?? false,
      timeoutMs: (timeout_seconds ?? 120) * 1000,
      signal: ctx.signal,
    });
    const target = `${agent_id}/${session_id}`;
    if (!wait) return { content: `Sent to ${target}`, data: { ...to, sent: true } };
    if (result.timedOut) {
      return {
        content: `No answer from ${target} within ${timeout_seconds ?? 120} s; it is still working`,
        data: { ...to, sent: true, timedOut: true },
      };
    }
    return {
      content: `Answer from ${target}:\n${result.answer ?? ""}`,
      data: { ...to, sent: true, answer: result.answer ?? "" },
    };
  },
});
