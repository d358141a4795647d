/**
 * @module What a turn checks before it runs: the agent, the model, the message and its
 * attachments. Kept apart from the run loop (`run.ts`), which the chat service loads with the
 * first turn: `chat.send` and a background caller's `check` report a bad request at once, while an
 * idle gateway keeps the loop, compaction and the tool-call code out of memory (issue 17).
 */

import { resolveAgent } from "./agents.ts";
import { validateAttachments } from "./attachments.ts";
import { selectModel } from "./model_select.ts";
import { sanitizeUserMessage } from "./prompt.ts";
import type { AgentRunDeps, AgentRunRequest, PreparedRun } from "./run_types.ts";

/**
 * Resolves the agent and the model, so a bad request fails before anything runs.
 *
 * @throws {GatewayError} NOT_FOUND for an unknown agent, provider or model; INVALID_PARAMS when
 * no model is configured
 */
export function prepareRun(deps: AgentRunDeps, request: AgentRunRequest): PreparedRun {
  const agent = resolveAgent(deps.config(), request.agentId);
  const resolved = selectModel(deps.providers, deps.config(), agent, request);
  if (request.message !== undefined) sanitizeUserMessage(request.message);
  if (request.attachments) validateAttachments(request.attachments);
  return { request, agent, resolved };
}
