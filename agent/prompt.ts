/**
 * @module What the model sees besides the user's words: the system prompt with the time
 * context and pending system events, the sanitized user message, and the history as messages.
 */

import { ErrorCode, GatewayError } from "../core/errors.ts";
import type { SystemEvent } from "./system_events.ts";
import type { ChatMessage, ContentPart } from "./providers/types.ts";
import type { SessionMessage } from "./sessions/session_store.ts";
import { MAX_MESSAGE_CHARS } from "../core/protocol/limits.ts";

export { MAX_MESSAGE_CHARS };

const DEFAULT_SYSTEM_PROMPT = "You are a helpful personal assistant. Answer clearly and briefly, " +
  "and use the tools you have when they help.";

/**
 * Strips control characters (tabs and newlines stay) and normalizes line ends.
 *
 * @throws {GatewayError} INVALID_PARAMS when the text is empty or longer than
 * {@linkcode MAX_MESSAGE_CHARS}
 */
export function sanitizeUserMessage(text: string): string {
  if (text.length > MAX_MESSAGE_CHARS) {
    throw new GatewayError(
      ErrorCode.INVALID_PARAMS,
      `Message is too long: ${text.length} characters (limit ${MAX_MESSAGE_CHARS})`,
    );
  }
  // deno-lint-ignore no-control-regex
  const clean = text.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, "");
  return clean;
}

/** A valid IANA time zone, else the system's. */
export function effectiveTimeZone(timezone?: string): string {
  if (timezone && formattersFor(timezone)) return timezone;
  systemZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone ?? "UTC";
  return systemZone;
}

let systemZone: string | undefined;

interface ZoneFormatters {
  date: Intl.DateTimeFormat;
  time: Intl.DateTimeFormat;
  offset: Intl.DateTimeFormat;
}

// Building Intl formatters costs about 0.1 ms each; a gateway sees few zones, so keep them.
const formatters = new Map<string, ZoneFormatters | null>();

function formattersFor(timeZone: string): ZoneFormatters | null {
  let entry = formatters.get(timeZone);
  if (entry !== undefined) return entry;
  try {
    entry = {
      date: new Intl.DateTimeFormat("en-US", {
        timeZone,
        weekday: "long",
        year: "numeric",
        month: "long",
        day: "numeric",
      }),
      time: new Intl.DateTimeFormat("en-GB", {
        timeZone,
        hour: "2-digit",
        minute: "2-digit",
        hour12: false,
      }),
      offset: new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" }),
    };
  } catch {
    entry = null; // not a time zone this runtime knows
  }
  if (formatters.size < 64) formatters.set(timeZone, entry);
  return entry;
}

/** One line saying the date, time and time zone, so the model knows "today". */
export function timeContext(now: Date, timezone?: string): string {
  const timeZone = effectiveTimeZone(timezone);
  // The line changes once a minute: formatting it (three Intl calls) on every turn was a
  // measurable part of a turn's overhead, so it is kept for the minute it names.
  const minute = Math.floor(now.getTime() / 60_000);
  const kept = timeLines.get(timeZone);
  if (kept?.minute === minute) return kept.text;
  const zone = formattersFor(timeZone)!;
  const offset = zone.offset.formatToParts(now).find((part) => part.type === "timeZoneName")
    ?.value ?? "GMT";
  const text = `Current date and time: ${zone.date.format(now)}, ${
    zone.time.format(now)
  } (time zone ${timeZone}, ${offset}).`;
  if (timeLines.size < 64 || timeLines.has(timeZone)) timeLines.set(timeZone, { minute, text });
  return text;
}

const timeLines = new Map<string, { minute: number; text: string }>();

/** The system prompt of one turn. */
export function buildSystemPrompt(options: {
  base?: string;
  now: Date;
  timezone?: string;
  events?: readonly SystemEvent[];
}): string {
  const parts = [
    options.base?.trim() || DEFAULT_SYSTEM_PROMPT,
    timeContext(options.now, options.timezone),
  ];
  if (options.events?.length) {
    parts.push(
      "System events since the last turn:\n" +
        options.events.map((event) => `- [${event.time}] ${event.text}`).join("\n"),
    );
  }
  return parts.join("\n\n");
}

/** A session message whose images have been resolved to what the provider gets. */
export type ResolvedMessage = Omit<SessionMessage, "content"> & { content: string | ContentPart[] };

/**
 * Session messages as provider messages: failed turns left out, and tool calls kept only with
 * their results (a crash may have split a pair, which providers refuse). What goes in is what
 * the budget allowed; nothing is dropped here.
 */
export function historyToMessages(history: readonly ResolvedMessage[]): ChatMessage[] {
  let start = 0;
  while (start < history.length && history[start].role === "tool") start++;
  const window = history.slice(start);
  const answered = new Set(
    window.filter((m) => m.role === "tool" && m.toolCallId).map((m) => m.toolCallId!),
  );
  const called = new Set<string>();
  const messages: ChatMessage[] = [];
  for (const message of window) {
    if (message.role === "user") {
      messages.push({ role: "user", content: message.content });
    } else if (message.role === "assistant") {
      const toolCalls = message.toolCalls?.filter((call) => answered.has(call.id)) ?? [];
      const text = typeof message.content === "string" ? message.content : "";
      if (!text && !toolCalls.length) continue;
      toolCalls.forEach((call) => called.add(call.id));
      messages.push({
        role: "assistant",
        content: text,
        ...(toolCalls.length ? { toolCalls } : {}),
      });
    } else if (message.role === "tool" && message.toolCallId && called.has(message.toolCallId)) {
      messages.push({
        role: "tool",
        toolCallId: message.toolCallId,
        name: message.name ?? "tool",
        content: message.content,
      });
    }
  }
  return messages;
}
