/**
 * @module `chat.*`: send, abort, history, resend and edit. Runs stream `chat.delta`,
 * `chat.tool_call`, `chat.tool_result`, then `chat.done` or `chat.error` to the session's clients
 * (every method here makes its caller one); the request answers `{ completed }` once its run has
 * ended.
 */

import { z } from "zod";
import { DEFAULT_AGENT_ID, DEFAULT_SESSION_ID } from "../../agent/agents.ts";
import type { ChatRunOptions } from "../../agent/chat_service.ts";
import type { AgentRunRequest } from "../../agent/run.ts";
import type { RpcContext } from "../context.ts";
import { MAX_MESSAGE_CHARS } from "../../agent/prompt.ts";
import { defineMethods } from "../method_table.ts";

const id = z.string().min(1).max(128);
const overrides = {
  agentId: id.optional(),
  sessionId: id.optional(),
  provider: z.string().min(1).max(128).optional(),
  model: z.string().min(1).max(256).optional(),
};
const attachment = z.object({
  type: z.enum(["image", "file"]).optional(),
  mimeType: z.string().max(200).optional(),
  fileName: z.string().max(255).optional(),
  /** Base64 bytes or a data URL; `data` is accepted as an alias. */
  content: z.string().optional(),
  data: z.string().optional(),
}).refine((a) => a.content !== undefined || a.data !== undefined, {
  message: "Attachment needs content (base64)",
});

const sendParams = z.object({
  message: z.string().max(MAX_MESSAGE_CHARS),
  ...overrides,
  systemPrompt: z.string().max(100_000).optional(),
  attachments: z.array(attachment).max(20).optional(),
  abortPrevious: z.boolean().optional(),
  temperature: z.number().min(0).max(2).optional(),
}).refine((p) => p.message.trim() !== "" || (p.attachments?.length ?? 0) > 0, {
  message: "Message is empty",
  path: ["message"],
});

/**
 * Runs one turn for a run-starting method (default agent and session filled in) and answers
 * `{ completed, … }` once it has ended.
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
    params: sendParams,
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
    params: z.object({ sessionId: id, agentId: id.optional() }),
    handler: ({ sessionId, agentId = DEFAULT_AGENT_ID }, ctx) => {
      ctx.watchSession(agentId, sessionId);
      return { aborted: ctx.services.chat.abort(agentId, sessionId) };
    },
  },
  "chat.history": {
    params: z.object({
      sessionId: id,
      agentId: id.optional(),
      limit: z.number().int().positive().max(10_000).default(200),
      /** `nextCursor` of the newer page: the page before it. */
      cursor: z.string().min(1).max(32).optional(),
    }),
    handler: ({ sessionId, agentId = DEFAULT_AGENT_ID, limit, cursor }, ctx) => {
      // A reader sees the session's next runs too, even before it has a file.
      ctx.watchSession(agentId, sessionId);
      return ctx.services.chat.history(agentId, sessionId, { limit, cursor });
    },
  },
  "chat.resend": {
    params: z.object(overrides),
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
    params: z.object({
      message: z.string().max(MAX_MESSAGE_CHARS).refine((m) => m.trim() !== "", "Message is empty"),
      ...overrides,
    }),
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
