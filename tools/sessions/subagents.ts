/** @module `subagents`: list, kill or steer the sub-agents this session started. */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import type { SubagentInfo } from "./session_services.ts";
import { callerOf, subagentControl } from "./_service.ts";

export const subagentsTool = defineTool({
  name: "subagents",
  group: "group:subagent",
  description: "List, kill or steer (stop and redirect with a new instruction) the " +
    "sub-agents this session started.",
  parameters: z.strictObject({
    action: z.enum(["list", "kill", "steer"]),
    session_id: z.string().min(1).max(128).optional()
      .describe("The sub-agent (kill, steer)"),
    id: z.string().min(1).max(128).optional().describe("= session_id"),
    instruction: z.string().min(1).max(20_000).optional()
      .describe("For steer"),
    message: z.string().min(1).max(20_000).optional().describe("= instruction"),
  }),
  run(args, ctx) {
    const { action } = args;
    // openclaw-py names them session_id and instruction; id and message are accepted too.
    const session_id = args.session_id ?? args.id;
    const instruction = args.instruction ?? args.message;
    const control = subagentControl(ctx);
    const parent = callerOf(ctx);
    if (action === "list") {
      const children = control.list(parent);
      const content = children.length ? children.map(describe).join("\n") : "No sub-agents";
      return Promise.resolve({ content, data: { subagents: children } });
    }
    if (!session_id) throw new Error(`${action} needs session_id`);
    if (action === "kill") {
      const child = control.kill(parent, session_id);
      return Promise.resolve({ content: `Killed ${describe(child)}`, data: child });
    }
    if (!instruction) throw new Error("steer needs instruction");
    const child = control.steer(parent, session_id, instruction);
    return Promise.resolve({ content: `Steered ${describe(child)}`, data: child });
  },
});

function describe(child: SubagentInfo): string {
  const label = child.label ? ` (${child.label})` : "";
  const preview = child.preview ? `: ${child.preview}` : "";
  return `${child.sessionId}${label} [${child.state}] agent ${child.agentId}${preview}`;
}
