/**
 * @module How much a model can read: known context windows of common models (overridable per
 * model in config, `models.providers.<id>.models[].contextWindow`), a conservative default for
 * the rest, and a cheap token estimate, so the request to the provider always fits with room
 * for the answer.
 */

import type { Config } from "../core/config/schema.ts";
import type { ChatMessage, ToolSpec } from "./providers/types.ts";
import type { ResolvedModel } from "./providers/registry.ts";

/** The window assumed for a model nobody has described: small enough for most local models. */
export const DEFAULT_CONTEXT_WINDOW = 32_000;

/**
 * Known windows by model id, longest matching prefix first (`gpt-4o-mini-2024-07-18` is a
 * `gpt-4o-mini`). From the providers' model pages.
 */
const KNOWN_WINDOWS: readonly [prefix: string, tokens: number][] = [
  ["gpt-5", 400_000],
  ["gpt-4.1", 1_047_576],
  ["gpt-4o", 128_000],
  ["gpt-4-turbo", 128_000],
  ["gpt-4-32k", 32_768],
  ["gpt-4", 8_192],
  ["gpt-3.5-turbo", 16_385],
  ["o1-mini", 128_000],
  ["o1", 200_000],
  ["o3", 200_000],
  ["o4-mini", 200_000],
  ["claude-", 200_000],
  ["gemini-1.5-pro", 2_097_152],
  ["gemini-", 1_048_576],
  ["deepseek-chat", 65_536],
  ["deepseek-reasoner", 65_536],
  ["qwen-turbo", 1_000_000],
  ["qwen-long", 1_000_000],
  ["qwen-plus", 131_072],
  ["qwen-max", 32_768],
  ["qwen2.5", 32_768],
  ["qwen3", 40_960],
  ["moonshot-v1-8k", 8_192],
  ["moonshot-v1-32k", 32_768],
  ["moonshot-v1-128k", 131_072],
  ["kimi-k2", 131_072],
  ["glm-4", 128_000],
  ["llama-3.1", 131_072],
  ["llama-3.2", 131_072],
  ["llama-3.3", 131_072],
  ["llama3.1", 131_072],
  ["llama3", 8_192],
  ["mistral-large", 131_072],
  ["mixtral-8x7b", 32_768],
];

const SORTED = [...KNOWN_WINDOWS].sort((a, b) => b[0].length - a[0].length);

/** The window of a model id from the table, if it is known. */
export function knownContextWindow(model: string): number | undefined {
  const id = model.toLowerCase().split("/").at(-1)!;
  return SORTED.find(([prefix]) => id.startsWith(prefix))?.[1];
}

/** The token budget of one request to `resolved`. */
export interface ContextBudget {
  /** The model's whole window. */
  window: number;
  /** Kept free for the answer. */
  reserve: number;
  /** What the prompt (system, tools, history) may use. */
  prompt: number;
}

/** Config entry, then the local runtime's size, then the table, then the default. */
function windowOf(
  config: Config,
  entry: { contextWindow?: number } | undefined,
  local: boolean,
  model: string,
): number {
  return entry?.contextWindow ??
    (local ? config.models.local.contextSize ?? 4_096 : undefined) ??
    knownContextWindow(model) ?? DEFAULT_CONTEXT_WINDOW;
}

/**
 * The window a run with `provider/model` is sized to, from config alone (for reports such as
 * `session_status`): as {@linkcode contextBudget} counts it.
 */
export function contextWindowOf(config: Config, provider: string, model: string): number {
  const settings = config.models.providers[provider];
  const entry = settings?.models?.find((candidate) => candidate.id === model);
  const local =
    (settings?.api ?? (provider === "llamacpp" ? "llamacpp" : undefined)) === "llamacpp";
  return windowOf(config, entry, local, model);
}

/** The token budget of one request to `resolved`. */
export function contextBudget(resolved: ResolvedModel, config: Config): ContextBudget {
  const window = windowOf(
    config,
    resolved.entry,
    resolved.provider.api === "llamacpp",
    resolved.model,
  );
  const reserve = Math.min(resolved.entry?.maxTokens ?? 8_192, Math.floor(window / 4));
  // Estimates are rough; a tenth of the window stays unused as a margin.
  const prompt = Math.max(256, window - reserve - Math.floor(window / 10));
  return { window, reserve, prompt };
}

/** Tokens an image is counted as (the larger providers' cost of a big image). */
export const IMAGE_TOKENS = 1_600;

/**
 * Tokens of `text`, estimated without a tokenizer: ASCII runs at about four characters a
 * token, other scripts (Chinese, Japanese, ...) at about one a character.
 */
export function estimateTextTokens(text: string): number {
  let other = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) other++;
  return Math.ceil((text.length - other) / 4 + other);
}

/** Tokens of one message as sent, with a little for its framing. */
export function estimateMessageTokens(message: ChatMessage): number {
  let tokens = 4;
  if (typeof message.content === "string") tokens += estimateTextTokens(message.content);
  else {
    for (const part of message.content) {
      tokens += part.type === "text" ? estimateTextTokens(part.text) : IMAGE_TOKENS;
    }
  }
  if (message.role === "assistant") {
    for (const call of message.toolCalls ?? []) {
      tokens += estimateTextTokens(call.name) + estimateTextTokens(call.arguments) + 4;
    }
  }
  return tokens;
}

/** Tokens the tool specs take in a request. */
export function estimateToolTokens(tools: readonly ToolSpec[]): number {
  let tokens = toolTokenCache.get(tools);
  if (tokens === undefined) {
    tokens = tools.reduce(
      (n, tool) =>
        n + estimateTextTokens(tool.name + tool.description) + 8 + schemaTokens(tool.parameters),
      0,
    );
    toolTokenCache.set(tools, tokens);
  }
  return tokens;
}

// A warm turn offers the frozen specs of a tool set it reuses (tool_calls.ts): their estimate,
// a pass over every description, is kept with them.
const toolTokenCache = new WeakMap<readonly ToolSpec[], number>();

// A tool's JSON Schema object is built once and reused by every run (tool_calls.ts caches it),
// so its estimate is too: serialising ~30 schemas on every turn was a measurable part of a turn.
const schemaTokenCache = new WeakMap<object, number>();

function schemaTokens(parameters: Record<string, unknown>): number {
  let tokens = schemaTokenCache.get(parameters);
  if (tokens === undefined) {
    tokens = estimateTextTokens(JSON.stringify(parameters));
    schemaTokenCache.set(parameters, tokens);
  }
  return tokens;
}

const CUT_NOTE = (n: number) =>
  `\n[\u2026 ${n} characters cut to fit the model's context window \u2026]\n`;

/**
 * `messages` cut until their estimate fits `maxTokens`: first the largest tool outputs, then
 * the largest other texts, each to its head and tail with a note saying so. The system prompt
 * and the last message are cut last. Compaction keeps this rare (one turn larger than the
 * window); it is the guarantee that a request never overflows. `atMost`: a bound the caller
 * knows the estimate is under, if any.
 */
export function fitToBudget(
  messages: ChatMessage[],
  maxTokens: number,
  atMost = Infinity,
): ChatMessage[] {
  // A turn knows a bound from its stored messages' kept estimates: most requests fit it, and
  // estimating every message again would read the whole history's text on every model call.
  if (atMost <= maxTokens) return messages;
  let total = messages.reduce((n, m) => n + estimateMessageTokens(m), 0);
  if (total <= maxTokens) return messages;
  const fitted = [...messages];
  for (let round = 0; round < 64 && total > maxTokens; round++) {
    // The biggest text, tool outputs first; the system prompt and the newest message last.
    let pick = -1;
    let pickSize = 0;
    for (const [index, message] of fitted.entries()) {
      const size = textSize(message) *
        (message.role === "tool" ? 4 : 1) /
        (message.role === "system" || index === fitted.length - 1 ? 8 : 1);
      if (size > pickSize) [pick, pickSize] = [index, size];
    }
    if (pick < 0 || textSize(fitted[pick]) < 400) break;
    const over = total - maxTokens;
    const before = estimateMessageTokens(fitted[pick]);
    const keep = Math.max(200, textSize(fitted[pick]) - Math.ceil(over * 4) - 200);
    fitted[pick] = cutMessage(fitted[pick], Math.min(keep, Math.floor(textSize(fitted[pick]) / 2)));
    total += estimateMessageTokens(fitted[pick]) - before;
  }
  return fitted;
}

function textSize(message: ChatMessage): number {
  return typeof message.content === "string"
    ? message.content.length
    : message.content.reduce((n, p) => n + (p.type === "text" ? p.text.length : 0), 0);
}

function cutText(text: string, keep: number): string {
  if (text.length <= keep) return text;
  const head = Math.ceil(keep * 0.7);
  return text.slice(0, head) + CUT_NOTE(text.length - keep) +
    text.slice(text.length - (keep - head));
}

function cutMessage(message: ChatMessage, keep: number): ChatMessage {
  if (typeof message.content === "string") {
    return { ...message, content: cutText(message.content, keep) } as ChatMessage;
  }
  const size = textSize(message);
  const content = message.content.map((part) =>
    part.type === "text"
      ? { ...part, text: cutText(part.text, Math.ceil(keep * part.text.length / size)) }
      : part
  );
  return { ...message, content } as ChatMessage;
}
