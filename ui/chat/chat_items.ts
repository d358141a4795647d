/**
 * @module What the chat shows, as a list of items built from a session's history
 * (`chat.history`) and then advanced by the `chat.*` events of the open session.
 */

import type { SentFile, TypedEventFrame } from "../../core/protocol/events.ts";
import type { MethodResult } from "../../core/protocol/methods.ts";

/** A file `send_file` delivered (`chat.file`): inline bytes or a download link. */
export type FileItem = { kind: "file" } & SentFile;

/** One line of the conversation. */
export type ChatItem =
  | { kind: "user"; text: string; attachments: string[] }
  | {
    kind: "assistant";
    text: string;
    streaming: boolean;
    aborted?: boolean;
    error?: string;
    model?: string;
  }
  | {
    kind: "tool";
    callId: string;
    tool: string;
    args: unknown;
    result?: unknown;
    /** The text the model read (`chat.tool_result` `output`, capped by the gateway). */
    output?: string;
    isError?: boolean;
    done: boolean;
    /** What the tool last reported while it runs (`chat.tool_progress`); gone once it is done. */
    progress?: ToolProgress;
  }
  | { kind: "error"; text: string; code?: string }
  | FileItem;

/** Progress an MCP tool reported (`chat.tool_progress`), without its run and tool. */
export type ToolProgress = { progress: number; total?: number; message?: string };

/** A session line as `chat.history` returns it (`compaction` lines, a summary of older turns, are not shown). */
export type HistoryMessage = MethodResult<"chat.history">["messages"][number];

function textOf(content: HistoryMessage["content"]): string {
  if (typeof content === "string") return content;
  return content.map((part) => part.type === "text" ? part.text : "").join("");
}

function parseArgs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseResult(text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{") && !trimmed.startsWith("[")) return text;
  return parseArgs(text);
}

/** An assistant line as stored: the same item whether read from the history or told live. */
function storedAnswer(
  line: { text: string; aborted?: boolean; error?: string; model?: string },
): ChatItem {
  const { text, aborted, error, model } = line;
  return { kind: "assistant", text, streaming: false, aborted, error, model };
}

/** Items for a stored conversation. */
export function itemsFromHistory(messages: HistoryMessage[]): ChatItem[] {
  const items: ChatItem[] = [];
  for (const message of messages) {
    if (message.role === "user") {
      const images = typeof message.content === "string"
        ? []
        : message.content.filter((part) => part.type === "image").map((part) =>
          `image (${part.mimeType})`
        );
      items.push({ kind: "user", text: textOf(message.content), attachments: images });
    } else if (message.role === "assistant") {
      const text = textOf(message.content);
      if (text || message.error || message.aborted || !message.toolCalls?.length) {
        items.push(storedAnswer({ ...message, text }));
      }
      for (const call of message.toolCalls ?? []) {
        items.push({
          kind: "tool",
          callId: call.id,
          tool: call.name,
          args: parseArgs(call.arguments),
          done: false,
        });
      }
    } else if (message.role === "tool") {
      const tool = items.findLast((item) =>
        item.kind === "tool" && item.callId === message.toolCallId
      );
      if (tool && tool.kind === "tool") {
        Object.assign(tool, {
          result: parseResult(textOf(message.content)),
          isError: message.isError,
          done: true,
        });
      }
    }
  }
  return items;
}

/**
 * The list after one event of this session (a new array; items are copied on change). Its payload
 * is typed by its name from the catalogue, so a misspelt case does not compile; events the list
 * does not show change nothing.
 */
export function applyChatEvent(items: ChatItem[], frame: TypedEventFrame): ChatItem[] {
  // The answer streaming now need not be the last item: the screen's own message, sent while
  // another client's run streams, goes after it.
  const at = items.findLastIndex((item) => item.kind === "assistant" && item.streaming);
  const streaming = at >= 0 ? items[at] as ChatItem & { kind: "assistant" } : undefined;
  const replaced = (...by: ChatItem[]) => spliced(items, at, by);
  // The list with the streaming answer ended, for the events that end it (a copy: not per token).
  const closed = () => streaming ? replaced({ ...streaming, streaming: false }) : items;
  switch (frame.event) {
    case "chat.delta": {
      const { delta } = frame.payload;
      if (streaming) return replaced({ ...streaming, text: streaming.text + delta });
      return [...items, { kind: "assistant", text: delta, streaming: true }];
    }
    case "chat.tool_call": {
      const { callId, tool, args } = frame.payload;
      return [...closed(), { kind: "tool", callId, tool, args, done: false }];
    }
    case "chat.tool_result": {
      const { callId, result, output, isError } = frame.payload;
      return items.map((item) =>
        item.kind === "tool" && item.callId === callId
          ? { ...settled(item), result, output, isError, done: true }
          : item
      );
    }
    case "chat.tool_progress": {
      // The payload names no call: a run calls its tools one at a time, so the running one is
      // the last call of that tool still without its result.
      const { tool, progress, total, message } = frame.payload;
      const index = items.findLastIndex((item) =>
        item.kind === "tool" && item.tool === tool && !item.done
      );
      const call = items[index];
      if (call?.kind !== "tool") return items;
      return spliced(items, index, [{ ...call, progress: { progress, total, message } }]);
    }
    case "chat.file": {
      const { name, mimeType, size, caption, data, url, expiresAt } = frame.payload;
      return [...items, { kind: "file", name, mimeType, size, caption, data, url, expiresAt }];
    }
    case "chat.message": {
      // Posted by another session's agent, and stored as a plain assistant line (without whom it
      // came from, agent/session_delivery.ts): shown as a history read shows that line. A run's
      // answer is stored when it is complete, so the line comes before one still streaming.
      const posted = storedAnswer({ text: frame.payload.text });
      return streaming ? replaced(posted, streaming) : [...items, posted];
    }
    case "chat.done": {
      const { aborted, model } = frame.payload;
      // A stopped run sends no result for the call it cut short: its progress goes with the run.
      const ended = aborted ? withoutProgress(items) : items;
      if (streaming) {
        return spliced(ended, at, [{ ...streaming, streaming: false, aborted, model }]);
      }
      if (aborted) return [...ended, { kind: "assistant", text: "", streaming: false, aborted }];
      return ended;
    }
    case "chat.error": {
      const { error, code } = frame.payload;
      return [...withoutProgress(closed()), { kind: "error", text: error, code }];
    }
  }
  return items;
}

/**
 * `items` with the item at `at` replaced by `by`, as a new array (`toSpliced` is too new for
 * some browsers).
 */
function spliced(items: ChatItem[], at: number, by: ChatItem[]): ChatItem[] {
  return [...items.slice(0, at), ...by, ...items.slice(at + 1)];
}

/** The list with no progress left on calls that never got their result (their run ended). */
function withoutProgress(items: ChatItem[]): ChatItem[] {
  if (!items.some((item) => item.kind === "tool" && item.progress)) return items;
  return items.map((item) => item.kind === "tool" && item.progress ? settled(item) : item);
}

/** A call without the progress it reported while it ran. */
function settled(call: ChatItem & { kind: "tool" }): ChatItem & { kind: "tool" } {
  const { progress: _progress, ...rest } = call;
  return rest;
}

/** The list with everything after the last user message removed (regenerate, edit). */
export function truncateAfterLastUser(items: ChatItem[], newText?: string): ChatItem[] {
  const index = items.findLastIndex((item) => item.kind === "user");
  if (index < 0) return items;
  const user = items[index];
  const kept = items.slice(0, index);
  return [
    ...kept,
    newText !== undefined && user.kind === "user" ? { ...user, text: newText } : user,
  ];
}
