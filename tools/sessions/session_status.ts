/** @module `session_status`: the current session's model, tokens, cost, time and context use. */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { callerOf, sessionDirectory } from "./_service.ts";

export const sessionStatusTool = defineTool({
  name: "session_status",
  group: "group:session",
  description: "Show this session's status: model, tokens used, cost, current time and how " +
    "much of the context window is in use.",
  parameters: z.strictObject({}),
  async run(_args, ctx) {
    const status = await sessionDirectory(ctx).status(callerOf(ctx));
    const { tokens, context } = status;
    const window = context.window
      ? `${context.tokens} of ${context.window} tokens (${context.percent}%)`
      : `${context.tokens} tokens (window unknown)`;
    const lines = [
      `Session: ${status.agentId}/${status.sessionId}`,
      `Model: ${status.model ?? "not configured"}`,
      `Messages: ${status.messages}`,
      `Tokens used: ${tokens.total} (prompt ${tokens.prompt}, completion ${tokens.completion})`,
      `Cost: ${status.cost === null ? "unknown" : `$${status.cost.toFixed(6)}`}`,
      `Time now: ${status.now}`,
      `Started: ${status.startedAt ?? "just now"}`,
      `Context: ${window}`,
    ];
    return { content: lines.join("\n"), data: status };
  },
});
