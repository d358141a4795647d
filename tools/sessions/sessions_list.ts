/** @module `sessions_list`: the sessions there are (sub-agents' included), newest first. */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { sessionDirectory } from "./_service.ts";

export const sessionsListTool = defineTool({
  name: "sessions_list",
  group: "group:session",
  description: "List sessions (including sub-agents'), newest first. Use it to find a session " +
    "before sessions_send or message.",
  parameters: z.strictObject({
    agent_id: z.string().min(1).max(64).optional().describe("Only this agent's sessions"),
    limit: z.number().int().min(1).max(200).optional().describe("At most this many (20)"),
  }),
  async run({ agent_id, limit }, ctx) {
    const sessions = await sessionDirectory(ctx).list({ agentId: agent_id, limit: limit ?? 20 });
    if (!sessions.length) return { content: "No sessions", data: { sessions } };
    const lines = sessions.map((s) =>
      `${s.agentId}/${s.sessionId}: ${s.size} bytes, updated ${s.updatedAt ?? "never"}` +
      (s.active ? " (running)" : "")
    );
    return { content: lines.join("\n"), data: { sessions } };
  },
});
