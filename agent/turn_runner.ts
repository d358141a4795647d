/**
 * @module One agent turn for the gateway's own callers (cron, heartbeat, channels): a message in,
 * the answer's text out, a failure as an Error. It wraps the chat service, so these turns queue
 * behind a session's other runs and publish the same `chat.*` events.
 */

import type { Config } from "../core/config/schema.ts";
import { GatewayError } from "../core/errors.ts";

/** The part of the chat service a turn needs. */
export interface ChatRunner {
  run(
    request: { agentId: string; sessionId: string; message: string },
    options?: { signal?: AbortSignal },
  ): Promise<{ aborted: boolean; text: string; error?: { message: string } }>;
}

/** A message to one agent's session. */
export interface Turn {
  agentId: string;
  sessionId: string;
  message: string;
}

/** Runs `turn` and returns the answer; rejects when the run failed or was aborted. */
export async function runTurn(chat: ChatRunner, turn: Turn, signal?: AbortSignal): Promise<string> {
  const outcome = await chat.run(turn, { signal });
  if (outcome.error) throw new Error(outcome.error.message);
  if (outcome.aborted) throw new Error("The run was aborted");
  return outcome.text;
}

/**
 * Checks that `agentId` names an agent: `main`, or one of `agents.list`.
 *
 * @throws {GatewayError} NOT_FOUND otherwise
 */
export function assertAgentExists(config: Config, agentId: string): void {
  if (agentId === "main" || config.agents.list.some((agent) => agent.id === agentId)) return;
  throw new GatewayError("NOT_FOUND", `Agent not found: ${agentId}`);
}
