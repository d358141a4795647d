/**
 * @module Contract of `chat.*`: send, abort, history, resend and edit. A run-starting method
 * answers once its run has ended; the run streams `chat.*` events (see `../events.ts`).
 */

import { z } from "zod";
import { methods } from "../contract.ts";
import { errorCode, usage } from "./_shared.ts";
import { sessionPage } from "./sessions.ts";
import { MAX_MESSAGE_CHARS } from "../limits.ts";

export { MAX_MESSAGE_CHARS };

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

/** What a run-starting method answers once the run has ended. */
const runOutcome = z.object({
  completed: z.boolean(),
  aborted: z.boolean(),
  agentId: z.string(),
  sessionId: z.string(),
  usage,
  error: z.object({
    code: errorCode,
    message: z.string(),
    retryAfterMs: z.number().optional(),
  }).optional(),
});

export const chatContract = methods({
  "chat.send": {
    summary: "Run one agent turn on a session; answers when the run has ended",
    params: sendParams,
    result: runOutcome,
  },
  "chat.abort": {
    summary: "Abort a session's running and queued runs",
    params: z.object({ sessionId: id, agentId: id.optional() }),
    result: z.object({ aborted: z.boolean() }),
  },
  "chat.history": {
    summary: "A page of a session's messages, newest last; `cursor` pages back",
    params: z.object({
      sessionId: id,
      agentId: id.optional(),
      limit: z.number().int().positive().max(10_000).default(200),
      /** `nextCursor` of the newer page: the page before it. */
      cursor: z.string().min(1).max(32).optional(),
    }),
    result: sessionPage,
  },
  "chat.resend": {
    summary: "Answer the session's last user message again",
    params: z.object(overrides),
    result: runOutcome,
  },
  "chat.edit": {
    summary: "Replace the session's last user message and answer it",
    params: z.object({
      message: z.string().max(MAX_MESSAGE_CHARS).refine((m) => m.trim() !== "", "Message is empty"),
      ...overrides,
    }),
    result: runOutcome,
  },
});
