/**
 * @module The user side of a turn: the message (sanitized, with its attachments) written to the
 * session, or the session cut back for a resend or an edit. Images reach the session store
 * inline and are kept there as files.
 */

import { resolve } from "../core/path.ts";
import { prepareAttachments } from "./attachments.ts";
import { sanitizeUserMessage } from "./prompt.ts";
import type { ChatMessage, ContentPart } from "./providers/types.ts";
import type { Attachment } from "./attachments.ts";
import type {
  LocatedEntry,
  SessionMessage,
  SessionStore,
  SessionTailSnapshot,
} from "./sessions/session_store.ts";

/** The user side of a turn request. */
export interface TurnInput {
  agentId: string;
  sessionId: string;
  mode?: "send" | "resend" | "edit";
  message?: string;
  attachments?: Attachment[];
}

/** The last user message of a session and where its line is, reading from the end. */
export async function lastUserMessage(
  sessions: SessionStore,
  agentId: string,
  sessionId: string,
): Promise<LocatedEntry | undefined> {
  for await (const located of sessions.backward(agentId, sessionId)) {
    if (located.entry.role === "user") return located;
  }
  return undefined;
}

/**
 * Writes the user side of the turn: appends the message (`send`), or cuts the session after
 * (`resend`) or before (`edit`) its last user message. Only the end of the file is read.
 * Answers once the message's append is under way (see `SessionStore.appendAndTail`): with the
 * session's cached tail as that append leaves it, when the store has one, and `written`, to
 * await before the model is called.
 */
export async function startTurn(
  deps: { sessions: SessionStore },
  request: TurnInput,
  options: { vision: boolean; workspaceDir: string },
): Promise<{ tail?: SessionTailSnapshot; written?: Promise<void> }> {
  const { agentId, sessionId } = request;
  const mode = request.mode ?? "send";
  if (mode === "resend") {
    const last = await lastUserMessage(deps.sessions, agentId, sessionId);
    if (last && last.end < await deps.sessions.size(agentId, sessionId)) {
      await deps.sessions.truncate(agentId, sessionId, last.end);
    }
    return {};
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
    const last = await lastUserMessage(deps.sessions, agentId, sessionId);
    if (last) await deps.sessions.truncate(agentId, sessionId, last.offset);
  }
  return await deps.sessions.appendAndTail(agentId, sessionId, user);
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
