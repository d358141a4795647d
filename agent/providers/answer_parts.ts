/**
 * @module The parts of an OpenAI-wire answer that upstreams give in more than one shape, read
 * as the contract's: the message's text and its tool calls. One reading for the answer passed on
 * (server/openai/chat_completions.ts) and the one taken apart into events (openai_compat.ts), so
 * the two never differ.
 */

/**
 * The text of an upstream answer's `content`: a string as it is, content parts (some servers
 * answer `[{ type: "text", text }]`) joined, anything else none.
 */
export function answerText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) {
    if (typeof part?.text === "string" && (part.type === "text" || part.type === undefined)) {
      text += part.text;
    }
  }
  return text;
}

/** A tool call's fields as text ("" or none where they are of another type). */
function callFields(
  part: unknown,
): { index: number; id?: string; name: string; arguments: string } {
  const call = (typeof part === "object" && part !== null ? part : {}) as {
    index?: unknown;
    id?: unknown;
    function?: { name?: unknown; arguments?: unknown } | null;
  };
  const index = Number(call.index);
  const args = call.function?.arguments;
  return {
    index: Number.isSafeInteger(index) && index >= 0 ? index : 0,
    ...(typeof call.id === "string" && call.id ? { id: call.id } : {}),
    name: typeof call.function?.name === "string" ? call.function.name : "",
    arguments: typeof args === "string"
      ? args
      : typeof args === "object" && args !== null
      ? JSON.stringify(args)
      : "",
  };
}

/**
 * A tool call of an upstream answer as strings: the id (or `call_<index>`), the function's name,
 * and its arguments, which some servers give as a JSON object rather than its text (kept, as
 * text). Whatever else is there is not a call's and is dropped.
 */
export function answerToolCall(
  part: unknown,
  index: number,
): { id: string; name: string; arguments: string } {
  const { id, name, arguments: args } = callFields(part);
  return { id: id ?? `call_${index}`, name, arguments: args };
}

/**
 * A piece of a streamed tool call (a `delta.tool_calls` entry), read as {@linkcode answerToolCall}
 * reads a whole one: the index a number (a numeric string counts, else 0), and the id, name and
 * arguments only where they are text (arguments given as a JSON object, as their text).
 */
export function answerToolCallDelta(
  part: unknown,
): { index: number; id?: string; name?: string; arguments?: string } {
  const { index, id, name, arguments: args } = callFields(part);
  return {
    index,
    ...(id ? { id } : {}),
    ...(name ? { name } : {}),
    ...(args ? { arguments: args } : {}),
  };
}
