/**
 * @module What a turn reads of its session: the last compaction summary and the lines after the
 * point it covers, read from the end of the file backwards and no further than the model's
 * budget. Its cost depends on the window, not on how long the session has lived.
 */

import { dirname } from "../core/path.ts";
import { estimateTextTokens, IMAGE_TOKENS } from "./context_window.ts";
import { historyToMessages, type ResolvedMessage } from "./prompt.ts";
import type { ChatMessage, ContentPart } from "./providers/types.ts";
import { loadImage, type StoredPart } from "./sessions/session_images.ts";
import {
  type CompactionEntry,
  isCompaction,
  type LocatedEntry,
  type SessionMessage,
  type SessionStore,
  type SessionTailSnapshot,
} from "./sessions/session_store.ts";

/** A message line and where it is. */
export interface LocatedMessage {
  offset: number;
  message: SessionMessage;
  tokens: number;
}

/** The part of a session a turn works from. */
export interface SessionContext {
  /** The newest compaction, when the session has one. */
  compaction?: CompactionEntry;
  /** The messages after the summary's cover, oldest first (all of them unless `overflow`). */
  messages: LocatedMessage[];
  /** Estimated tokens of the summary and `messages`. */
  tokens: number;
  /** True when older lines that no summary covers were left unread: the session must compact. */
  overflow: boolean;
  /** Where the lines no summary covers begin (the summary's `keptFrom`, else 0). */
  rangeStart: number;
}

// Entries from a session's cached tail are the same objects turn after turn, so each one's
// estimate is made once.
const storedTokens = new WeakMap<SessionMessage, number>();

/** Estimated tokens of a stored message as the model will get it. */
export function estimateStoredTokens(message: SessionMessage): number {
  let tokens = storedTokens.get(message);
  if (tokens === undefined) {
    tokens = estimateUncached(message);
    storedTokens.set(message, tokens);
  }
  return tokens;
}

function estimateUncached(message: SessionMessage): number {
  let tokens = 4;
  if (typeof message.content === "string") tokens += estimateTextTokens(message.content);
  else {
    for (const part of message.content) {
      tokens += part.type === "text" ? estimateTextTokens(part.text) : IMAGE_TOKENS;
    }
  }
  for (const call of message.toolCalls ?? []) {
    tokens += estimateTextTokens(call.name) + estimateTextTokens(call.arguments) + 4;
  }
  return tokens;
}

/**
 * Reads the session backwards until the newest compaction's cover (or the first line), or
 * until more than `maxTokens` have been read. Given the tail the turn's own append left
 * (`SessionStore.appendAndTail`), it is read from that in memory: no stat, no promise per line;
 * only a context that reaches past it reads the store.
 */
export async function loadSessionContext(
  sessions: SessionStore,
  agentId: string,
  sessionId: string,
  maxTokens: number,
  tail?: SessionTailSnapshot,
): Promise<SessionContext> {
  if (tail) {
    const reader = new ContextReader(maxTokens);
    let i = tail.entries.length - 1;
    while (i >= 0 && reader.add(tail.entries[i])) i--;
    if (i >= 0 || tail.from === 0) return reader.finish();
  }
  const reader = new ContextReader(maxTokens);
  for await (const located of sessions.backward(agentId, sessionId)) {
    if (!reader.add(located)) break;
  }
  return reader.finish();
}

/** Builds a context from a session's entries, newest first, until it has what it needs. */
class ContextReader {
  #context: SessionContext = { messages: [], tokens: 0, overflow: false, rangeStart: 0 };
  #stopAt = 0;
  #maxTokens: number;

  constructor(maxTokens: number) {
    this.#maxTokens = maxTokens;
  }

  /** Takes the next older entry; false once the context is complete without it. */
  add({ offset, entry }: LocatedEntry): boolean {
    const context = this.#context;
    if (offset < this.#stopAt) return false;
    if (isCompaction(entry)) {
      // Only the newest summary counts; older ones inside its kept range are covered by it.
      if (!context.compaction) {
        context.compaction = entry;
        context.tokens += estimateTextTokens(entry.content) + 20;
        context.rangeStart = this.#stopAt = entry.keptFrom;
      }
      return true;
    }
    const tokens = estimateStoredTokens(entry);
    if (context.tokens + tokens > this.#maxTokens) {
      context.overflow = true;
      return false;
    }
    context.tokens += tokens;
    context.messages.push({ offset, message: entry, tokens });
    return true;
  }

  finish(): SessionContext {
    this.#context.messages.reverse();
    return this.#context;
  }
}

/**
 * The context's messages for the provider. Images go only with the current turn (from the
 * last user message on); older ones become a line naming their file, so a screenshot is sent
 * once, not turn after turn.
 */
export async function contextMessages(
  sessions: SessionStore,
  agentId: string,
  messages: readonly SessionMessage[],
  options: { vision: boolean },
): Promise<ChatMessage[]> {
  // Text-only histories (most) need no image resolved: no promise per message.
  if (messages.every((message) => typeof message.content === "string")) {
    return historyToMessages(messages as ResolvedMessage[]);
  }
  const sessionsDir = dirname(sessions.file(agentId, "x"));
  const lastUser = messages.findLastIndex((message) => message.role === "user");
  const resolved = await Promise.all(messages.map(async (message, index) => {
    if (typeof message.content === "string") return message;
    const current = index >= lastUser && options.vision;
    const content = await Promise.all(
      message.content.map((part) => resolvePart(part, current, sessionsDir)),
    );
    return { ...message, content };
  }));
  return historyToMessages(resolved as ResolvedMessage[]);
}

async function resolvePart(
  part: StoredPart,
  current: boolean,
  sessionsDir: string,
): Promise<ContentPart> {
  if (part.type === "text") return part;
  const name = "file" in part ? part.file : "inline";
  if (!current) {
    return { type: "text", text: `[image ${name} (${part.mimeType}) shown earlier, not re-sent]` };
  }
  return await loadImage(part, sessionsDir) ??
    { type: "text", text: `[image ${name} is no longer on disk]` };
}
