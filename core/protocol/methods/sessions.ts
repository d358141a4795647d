/** @module Contract of `sessions.*`: list, preview (paged), compact, delete and reset session files. */

import { z } from "zod";
import { methods } from "../contract.ts";
import { isoTime, usage } from "./_shared.ts";
import { SESSIONS_PREVIEW_MAX_LIMIT } from "../limits.ts";

const path = z.string().min(1).max(4096);

/** One message line of a session file, as `sessions.preview` and `chat.history` answer it. */
export const sessionMessage = z.object({
  role: z.enum(["user", "assistant", "tool"]),
  /** Images are stored as files (`{ type: "image", mimeType, file }`); old lines may inline them. */
  content: z.union([
    z.string(),
    z.array(z.union([
      z.object({ type: z.literal("text"), text: z.string() }),
      z.object({ type: z.literal("image"), mimeType: z.string(), base64: z.string() }),
      z.object({ type: z.literal("image"), mimeType: z.string(), file: z.string() }),
    ])),
  ]),
  time: isoTime,
  toolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() }))
    .optional(),
  /** Assistant: tools asked for in a round that offered none; not run (`stopReason` says why). */
  unrunToolCalls: z.array(z.object({ id: z.string(), name: z.string(), arguments: z.string() }))
    .optional(),
  /**
   * Assistant: why the turn ended with tool calls not run: `toolLimit` (the agent's
   * maxIterations used up) or `noTools` (the turn offered none).
   */
  stopReason: z.enum(["toolLimit", "noTools"]).optional(),
  toolCallId: z.string().optional(),
  name: z.string().optional(),
  isError: z.boolean().optional(),
  provider: z.string().optional(),
  model: z.string().optional(),
  usage: usage.optional(),
  aborted: z.boolean().optional(),
  error: z.string().optional(),
});

/** A compaction line: a summary of everything before byte `keptFrom` of the file. */
export const compactionEntry = z.object({
  role: z.literal("compaction"),
  content: z.string(),
  time: isoTime,
  keptFrom: z.number(),
  compactedFrom: z.number(),
  messagesCompacted: z.number(),
  tokensBefore: z.number(),
  tokensAfter: z.number(),
  provider: z.string().optional(),
  model: z.string().optional(),
});

/** One page of a session, newest last; `nextCursor` (null at the first line) fetches the older. */
export const sessionPage = z.object({
  messages: z.array(z.union([sessionMessage, compactionEntry])),
  nextCursor: z.string().nullable(),
});

export const sessionsContract = methods({
  "sessions.list": {
    summary: "Session files of every agent (or of `agentId`)",
    params: z.object({ agentId: z.string().min(1).max(128).optional() }),
    result: z.object({
      sessions: z.array(z.object({
        agentId: z.string(),
        sessionId: z.string(),
        file: z.string(),
        path: z.string(),
        size: z.number(),
        updatedAt: isoTime.nullable(),
      })),
    }),
  },
  "sessions.preview": {
    summary: "A page of a session file, newest last; `cursor` pages back",
    params: z.object({
      path,
      limit: z.number().int().positive().max(SESSIONS_PREVIEW_MAX_LIMIT).default(50),
      /** `nextCursor` of the newer page: the page before it. */
      cursor: z.string().min(1).max(32).optional(),
    }),
    result: sessionPage,
  },
  "sessions.compact": {
    summary: "Summarise a session's older turns into a compaction line",
    params: z.object({ path }),
    result: z.object({
      compacted: z.boolean(),
      path: z.string(),
      /** Why nothing was compacted. */
      reason: z.string().optional(),
      summary: z.string().optional(),
      messagesCompacted: z.number().optional(),
      tokensBefore: z.number().optional(),
      tokensAfter: z.number().optional(),
    }),
  },
  "sessions.delete": {
    summary: "Delete a session file (aborting its run)",
    params: z.object({ path }),
    result: z.object({ deleted: z.boolean(), path: z.string() }),
  },
  "sessions.reset": {
    summary: "Empty a session file (aborting its run)",
    params: z.object({ path }),
    result: z.object({ reset: z.boolean(), path: z.string() }),
  },
});
