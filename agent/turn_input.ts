/**
 * @module The user side of a turn: the message (sanitized, with its attachments) written to the
 * session, or the session cut back for a resend or an edit.
 */

import { resolve } from "node:path";
import { prepareAttachments } from "./attachments.ts";
import { sanitizeUserMessage } from "./prompt.ts";
import type { ChatMessage, ContentPart } from "./providers/types.ts";
import type { Attachment } from "./attachments.ts";
import type { SessionMessage, SessionStore } from "./sessions/session_store.ts";

/** The user side of a turn request. */
export interface TurnInput {
  agentId: string;
  sessionId: string;
  mode?: "send" | "resend" | "edit";
  message?: string;
  attachments?: Attachment[];
}

/** Writes the user side of the turn and returns the history the model gets. */
export async function startTurn(
  deps: { sessions: SessionStore },
  request: TurnInput,
  options: { vision: boolean; workspaceDir: string },
): Promise<SessionMessage[]> {
  const { agentId, sessionId } = request;
  const history = await deps.sessions.read(agentId, sessionId);
  const mode = request.mode ?? "send";
  if (mode === "resend") {
    const last = history.findLastIndex((message) => message.role === "user");
    const kept = history.slice(0, last + 1);
    if (kept.length !== history.length) await deps.sessions.replace(agentId, sessionId, kept);
    return kept;
  }
  let content: string | ContentPart[] = sanitizeUserMessage(request.message ?? "");
  if (request.attachments?.length) {
    const prepared = await prepareAttachments(request.attachments, {
      vision: options.vision,
      dir: resolve(options.workspaceDir, "attachments", sessionId.replace(/[:.]/g, "_")),
    });
    const text = [content, ...prepared.notes].filter(Boolean).join("\n\n");
    content = prepared.parts.length ? [{ type: "text", text }, ...prepared.parts] : text;
  }
  const user: SessionMessage = { role: "user", content, time: new Date().toISOString() };
  if (mode === "edit") {
    const last = history.findLastIndex((message) => message.role === "user");
    const kept = [...history.slice(0, Math.max(0, last)), user];
    await deps.sessions.replace(agentId, sessionId, kept);
    return kept;
  }
  await deps.sessions.append(agentId, sessionId, user);
  return [...history, user];
}

/** A message with its images replaced by a note, for models without vision. */
export function withoutImages(message: ChatMessage): ChatMessage {
  if (message.role === "system" || message.role === "assistant") return message;
  if (typeof message.content === "string") return message;
  const content = message.content.map((part): ContentPart =>
    part.type === "image"
      ? { type: "text", text: "[image omitted: the model has no vision]" }
      : part
  );
  return { ...message, content } as ChatMessage;
}
