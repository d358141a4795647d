/** @module The session tools' one way to reach their gateway services, with a clear error. */

import type { ToolContext } from "../tool.ts";
import type { SessionDirectory, SessionKey, SubagentControl } from "./session_services.ts";

/** The session directory, or an error the model can read. */
export function sessionDirectory(ctx: ToolContext): SessionDirectory {
  const directory = ctx.services.sessionDirectory as SessionDirectory | undefined;
  if (!directory) throw new Error("Sessions are not available here");
  return directory;
}

/** The sub-agent registry, or an error the model can read. */
export function subagentControl(ctx: ToolContext): SubagentControl {
  const control = ctx.services.subagents as SubagentControl | undefined;
  if (!control) throw new Error("Sub-agents are not available here");
  return control;
}

/** The calling session. */
export function callerOf(ctx: ToolContext): SessionKey {
  return { agentId: ctx.agentId, sessionId: ctx.sessionId };
}
