/**
 * @module The text a compaction summarises: session messages as a plain transcript, with large
 * tool outputs and long arguments pruned (the raw lines stay on disk), and the prompts that ask
 * the model for the summary.
 */

import type { ChatMessage } from "./providers/types.ts";
import type { SessionMessage } from "./sessions/session_store.ts";

/** Tool outputs longer than this are cut to their head and tail before summarising. */
export const TOOL_OUTPUT_KEEP_CHARS = 2_000;

const SUMMARY_SYSTEM_PROMPT =
  "You compact a long conversation between a user and an AI assistant so that it can go on " +
  "within a limited context. Write a summary that keeps what the assistant needs later: the " +
  "user's goals, preferences and instructions; decisions made and why; facts, names, numbers, " +
  "dates, file paths and URLs that matter; what tools found; open tasks and promises. Leave out " +
  "small talk and anything already resolved that will not matter again. Write in the language " +
  "of the conversation, as compact notes. Answer with the summary only.";

/** Cuts `text` to its head and tail, saying how much was left out. */
export function pruneText(text: string, keep: number): string {
  if (text.length <= keep) return text;
  const head = Math.ceil(keep * 0.7);
  const tail = keep - head;
  return `${text.slice(0, head)}\n[\u2026 ${
    text.length - keep
  } characters pruned for the summary \u2026]\n${text.slice(text.length - tail)}`;
}

function textOf(content: SessionMessage["content"]): string {
  if (typeof content === "string") return content;
  return content.map((part) => part.type === "text" ? part.text : `[image ${part.mimeType}]`)
    .join("\n");
}

/** One message as a transcript block; `maxChars` bounds even a single huge message. */
export function transcriptLine(message: SessionMessage, maxChars: number): string {
  const time = message.time ? `[${message.time.slice(0, 16).replace("T", " ")}] ` : "";
  let text: string;
  if (message.role === "tool") {
    const label = message.isError ? "failed" : "returned";
    text = `Tool ${message.name ?? "tool"} ${label}: ${
      pruneText(textOf(message.content), TOOL_OUTPUT_KEEP_CHARS)
    }`;
  } else if (message.role === "assistant") {
    const calls = (message.toolCalls ?? []).map((call) =>
      `(called ${call.name} ${pruneText(call.arguments, 300)})`
    );
    const note = message.aborted
      ? " (cut short)"
      : message.error
      ? ` (failed: ${message.error})`
      : "";
    text = `Assistant${note}: ${[textOf(message.content), ...calls].filter(Boolean).join(" ")}`;
  } else {
    text = `User: ${textOf(message.content)}`;
  }
  return pruneText(time + text, maxChars);
}

/** The request that folds `transcript` into `previous` (the summary so far, if any). */
export function summaryRequest(previous: string | undefined, transcript: string): ChatMessage[] {
  const parts = previous
    ? [
      "Summary of the conversation so far:",
      previous,
      "",
      "Conversation that followed, to fold into the summary:",
    ]
    : ["Conversation to summarise:"];
  return [
    { role: "system", content: SUMMARY_SYSTEM_PROMPT },
    {
      role: "user",
      content: [...parts, transcript, "", "Write the updated summary now."].join("\n"),
    },
  ];
}
