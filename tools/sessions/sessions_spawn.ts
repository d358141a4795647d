/**
 * @module `sessions_spawn`: a sub-agent does a task in its own session, in the background; its
 * result is announced back to this session when it is done.
 */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { callerOf, subagentControl } from "./_service.ts";

export const sessionsSpawnTool = defineTool({
  name: "sessions_spawn",
  group: "group:subagent",
  description: "Run a task in a background sub-agent. It works in its own session and its " +
    "result is reported back here when done; do not wait for it.",
  parameters: z.strictObject({
    prompt: z.string().min(1).max(20_000).describe("The task, complete in itself"),
    agent_id: z.string().min(1).max(64).optional().describe("Agent to run it (this one)"),
    label: z.string().trim().min(1).max(100).optional().describe("A short name for the task"),
    model: z.string().min(1).max(256).optional().describe("Model to use (the agent's)"),
  }),
  run({ prompt, agent_id, label, model }, ctx) {
    const child = subagentControl(ctx).spawn({
      parent: callerOf(ctx),
      prompt,
      agentId: agent_id ?? ctx.agentId,
      label,
      model,
      signal: ctx.signal,
    });
    return Promise.resolve({
      content: `Sub-agent started: session_id ${child.sessionId}` +
        (label ? ` (${label})` : "") + ". Its result will be announced here when it is done.",
      data: child,
    });
  },
});
