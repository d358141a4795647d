/**
 * @module One agent turn for the gateway's own callers (cron, heartbeat, channels): a message in,
 * the answer's text out, a failure as an Error. It wraps the chat service, so these turns queue
 * behind a session's other runs and publish the same `chat.*` events.
 */

import type { Config } from "../core/config/schema.ts";
import { GatewayError } from "../core/errors.ts";
import type { StopReason } from "./run_types.ts";

/** The part of the chat service a turn needs. */
export interface ChatRunner {
  run(
    request: { agentId: string; sessionId: string; message: string },
    options?: { signal?: AbortSignal },
  ): Promise<
    { aborted: boolean; text: string; error?: { message: string }; stopReason?: StopReason }
  >;
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
  // These callers pass on text only (a channel's reply, a cron result, a report to another
  // session): the note says why the answer stops short. The session keeps the model's words.
  if (!outcome.stopReason) return outcome.text;
  const note = stopNote(outcome.stopReason);
  return outcome.text ? `${outcome.text}\n\n${note}` : note;
}

/**
 * A short note for a client that shows an answer as text only, saying why it ended while the
 * model still asked for tools (`stopReason` of `chat.done`).
 */
export function stopNote(reason: StopReason): string {
  return reason === "toolLimit"
    ? "[Stopped: this agent's limit of tool rounds (maxIterations) was reached; the last " +
      "tool calls were not run. Send a message to let it go on.]"
    : "[The model asked for tools, but this turn offers none; they were not run.]";
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
