/** @module `agents_list`: the configured agents, their models and how many sessions each has. */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { sessionDirectory } from "./_service.ts";

export const agentsListTool = defineTool({
  name: "agents_list",
  group: "group:subagent",
  description: "List the agents you can send to or spawn as sub-agents, with their models.",
  parameters: z.strictObject({}),
  async run(_args, ctx) {
    const agents = await sessionDirectory(ctx).agents();
    const lines = agents.map((a) =>
      `${a.id} (${a.name}): model ${a.model ?? "default"}, ${a.sessions} session(s)`
    );
    return { content: lines.join("\n"), data: { agents } };
  },
});
