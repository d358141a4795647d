/**
 * @module `chat.*`: send, abort, history, resend and edit. Runs stream `chat.delta`,
 * `chat.tool_call`, `chat.tool_result`, then `chat.done` or `chat.error` to the session's clients
 * (every method here makes its caller one); the request answers `{ completed }` once its run has
 * ended.
 */

import { DEFAULT_AGENT_ID, DEFAULT_SESSION_ID, resolveAgent } from "../../agent/agents.ts";
import type { ChatRunOptions } from "../../agent/chat_service.ts";
import type { AgentRunRequest } from "../../agent/run.ts";
import type { RpcContext } from "../context.ts";
import { defineMethods } from "../method_table.ts";

/**
 * Runs one turn for a run-starting method (default agent and session filled in) and answers
 * `{ completed, ... }` once it has ended.
 */
async function runTurn(
  ctx: RpcContext,
  request: Omit<AgentRunRequest, "agentId" | "sessionId"> & {
    agentId?: string;
    sessionId?: string;
  },
  options: Omit<ChatRunOptions, "signal"> = {},
) {
  const agentId = request.agentId ?? DEFAULT_AGENT_ID;
  const sessionId = request.sessionId ?? DEFAULT_SESSION_ID;
  ctx.watchSession(agentId, sessionId);
  const outcome = await ctx.services.chat.run({ ...request, agentId, sessionId }, {
    ...options,
    signal: ctx.signal,
  });
  return {
    completed: outcome.completed,
    aborted: outcome.aborted,
    agentId,
    sessionId,
    usage: outcome.usage,
    ...(outcome.error ? { error: outcome.error } : {}),
  };
}

export const chatMethods = defineMethods({
  "chat.send": {
    handler: (params, ctx) =>
      runTurn(ctx, {
        agentId: params.agentId,
        sessionId: params.sessionId,
        mode: "send",
        message: params.message,
        attachments: params.attachments?.map((a) => ({
          type: a.type,
          mimeType: a.mimeType,
          fileName: a.fileName,
          content: a.content ?? a.data ?? "",
        })),
        model: params.model,
        provider: params.provider,
        systemPrompt: params.systemPrompt,
        temperature: params.temperature,
      }, { abortPrevious: params.abortPrevious }),
  },
  "chat.abort": {
    handler: ({ sessionId, agentId = DEFAULT_AGENT_ID }, ctx) => {
      const aborted = ctx.services.chat.abort(agentId, sessionId);
      // A run of an agent taken out of config meanwhile is still stopped; an agent that never
      // was is not found, as chat.send says.
      if (!aborted) resolveAgent(ctx.config(), agentId);
      ctx.watchSession(agentId, sessionId);
      return { aborted };
    },
  },
  "chat.history": {
    handler: ({ sessionId, agentId = DEFAULT_AGENT_ID, limit, cursor }, ctx) => {
      // A reader sees the session's next runs too, even before it has a file.
      ctx.watchSession(agentId, sessionId);
      return ctx.services.chat.history(agentId, sessionId, { limit, cursor });
    },
  },
  "chat.resend": {
    handler: (params, ctx) =>
      runTurn(ctx, {
        agentId: params.agentId,
        sessionId: params.sessionId,
        mode: "resend",
        model: params.model,
        provider: params.provider,
      }),
  },
  "chat.edit": {
    handler: (params, ctx) =>
      runTurn(ctx, {
        agentId: params.agentId,
        sessionId: params.sessionId,
        mode: "edit",
        message: params.message,
        model: params.model,
        provider: params.provider,
      }),
  },
});
