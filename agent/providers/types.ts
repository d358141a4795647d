/**
 * @module The provider interface: one streaming chat call that every wire API (OpenAI-compatible,
 * Anthropic Messages, local llama.cpp) implements, and the error every provider throws.
 */

/** A piece of a multimodal message. Images travel as base64 so every provider can take them. */
export type ContentPart =
  | { type: "text"; text: string }
  | { type: "image"; mimeType: string; base64: string };

/** One tool call the model asked for. `arguments` is the raw JSON text the model wrote. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A conversation message in the providers' common shape. */
export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string | ContentPart[] }
  | { role: "assistant"; content: string; toolCalls?: ToolCall[] }
  | { role: "tool"; toolCallId: string; name: string; content: string | ContentPart[] };

/** A tool the model may call; `parameters` is a JSON Schema object. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** Token counts of one model call. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** Why the model stopped. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** One request to a provider. Nothing here can change the provider's URL or key. */
export interface ChatRequest {
  /** The model id as the provider knows it (no `provider/` prefix). */
  model: string;
  messages: ChatMessage[];
  tools?: readonly ToolSpec[];
  /** @default "auto" when tools are given */
  toolChoice?: "auto" | "none" | "required" | { name: string };
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  /** OpenAI's `response_format`, passed to providers that understand it. */
  responseFormat?: Record<string, unknown>;
  seed?: number;
  /**
   * OpenAI's sampling extras, passed as they are to providers that speak its wire API; the
   * OpenAI-compatible HTTP API refuses those another provider cannot honour (400) before it
   * calls one (server/openai/_model_source.ts).
   */
  logprobs?: boolean;
  topLogprobs?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  logitBias?: Record<string, number>;
  /** False asks for at most one tool call per answer. @default true */
  parallelToolCalls?: boolean;
  /**
   * The end user the request is for: Anthropic gets a hash of it as `metadata.user_id`; it is
   * not sent over OpenAI's wire, where strict servers (Mistral) refuse fields they do not know.
   */
  user?: string;
  /**
   * False when the caller needs only the whole answer: a provider may then make one plain
   * (non-streamed) call and yield its events at once. The events are the same either way.
   * @default true
   */
  stream?: boolean;
  /** Aborting closes the upstream request; the stream then throws a `ProviderError` "aborted". */
  signal?: AbortSignal;
}

/**
 * What a provider's stream yields, in order: any number of `text`, `tool_call_delta` and
 * `tool_call` events, then exactly one `finish`, which ends the stream.
 *
 * Every tool call is announced complete by a `tool_call` event before `finish`; providers that
 * stream arguments also send `tool_call_delta`s first (the OpenAI-compatible HTTP API forwards
 * them), providers that do not (local models) may send only `tool_call`.
 */
export type StreamEvent =
  | {
    type: "text";
    text: string;
    /** The upstream's log probabilities of this text, where the request asked for them. */
    logprobs?: unknown;
  }
  | {
    type: "tool_call_delta";
    /** Position of the call in this answer, from 0. */
    index: number;
    /** Sent with the first delta of a call. */
    id?: string;
    name?: string;
    arguments?: string;
  }
  | { type: "tool_call"; index: number; call: ToolCall }
  | { type: "finish"; reason: FinishReason; usage?: Usage };

/**
 * The events of `reads` one by one: {@linkcode ChatProvider.stream} of a provider that reads, or
 * an SSE body's events for a parser that takes them one at a time.
 */
export async function* eachEvent<T>(reads: AsyncIterable<T[]>): AsyncGenerator<T> {
  for await (const events of reads) {
    for (const event of events) yield event;
  }
}

/** A model as `models.list` shows it. */
export interface ModelInfo {
  id: string;
  provider: string;
  name?: string;
  contextWindow?: number;
  maxTokens?: number;
  vision?: boolean;
  /** Where the entry came from: the config file, or the provider's own model list. */
  source: "config" | "provider";
}

/** The wire APIs pyclaw speaks. */
export type ProviderApi = "openai" | "anthropic" | "llamacpp";

/** One configured provider, ready to call. */
export interface ChatProvider {
  /** The provider id from config (`openai`, `deepseek`, `my-proxy`, ...). */
  readonly id: string;
  readonly api: ProviderApi;
  /**
   * Streams one answer.
   *
   * @throws {ProviderError} before or during the stream: bad key, unknown model, rate limit,
   * unreachable host, timeout, abort
   */
  stream(request: ChatRequest): AsyncIterable<StreamEvent>;
  /**
   * The events of {@linkcode stream}, those of each upstream read together (never none), where
   * the provider reads an SSE answer: a caller that writes them on handles a read's events at
   * once, with no promise between them (issue 17, first streamed chunk). Absent where events
   * come one by one anyway.
   *
   * @throws {ProviderError} as {@linkcode stream} does, after the events read before the failure
   */
  streamReads?(request: ChatRequest): AsyncGenerator<StreamEvent[]>;
  /**
   * One whole (not streamed) answer as the upstream wrote it, where the provider speaks OpenAI's
   * wire API: `/v1/chat/completions` passes it on with what it must change, rather than taking
   * it apart into events and building it again (issue 17, `/v1` added time). Absent for the
   * other wire APIs.
   *
   * @throws {ProviderError} as {@linkcode stream} does, and for an answer with no choice
   */
  completeOpenAi?(request: ChatRequest): Promise<OpenAiCompletionBody>;
  /** The provider's own model list, when it has one. */
  listModels?(signal?: AbortSignal): Promise<ModelInfo[]>;
  /** Releases what the provider holds (a loaded local model). */
  close?(): Promise<void>;
}

/** An OpenAI Chat Completions answer as an upstream sent it: at least one choice, any other field kept. */
export interface OpenAiCompletionBody {
  id?: unknown;
  object?: unknown;
  created?: unknown;
  model?: unknown;
  choices: OpenAiChoice[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  [field: string]: unknown;
}

/** The provider-neutral usage of an OpenAI `usage` object, or undefined without one. */
export function usageOf(usage: unknown): Usage | undefined {
  if (typeof usage !== "object" || usage === null || Array.isArray(usage)) return undefined;
  const { prompt_tokens, completion_tokens, total_tokens } = usage as Record<string, unknown>;
  const prompt = typeof prompt_tokens === "number" ? prompt_tokens : 0;
  const completion = typeof completion_tokens === "number" ? completion_tokens : 0;
  return {
    promptTokens: prompt,
    completionTokens: completion,
    totalTokens: typeof total_tokens === "number" ? total_tokens : prompt + completion,
  };
}

/** OpenAI's finish reason for any an upstream sent (older or other servers' names included). */
export function mapFinish(reason: string): FinishReason {
  if (reason === "length" || reason === "tool_calls" || reason === "content_filter") return reason;
  if (reason === "function_call") return "tool_calls";
  return "stop";
}

/**
 * The finish reason of a whole answer: the upstream's where it gave one, else `tool_calls` when
 * the answer has calls, else `stop`.
 */
export function finishOf(reason: unknown, hasCalls: boolean): FinishReason {
  if (typeof reason === "string" && reason) return mapFinish(reason);
  return hasCalls ? "tool_calls" : "stop";
}

/** One choice of an {@linkcode OpenAiCompletionBody}. */
export interface OpenAiChoice {
  message?: {
    content?: string | null;
    tool_calls?: { id?: string; type?: string; function?: { name?: string; arguments?: string } }[];
    [field: string]: unknown;
  };
  finish_reason?: string | null;
  [field: string]: unknown;
}

/** Settings a provider is built from: config `models.providers.<id>` with defaults filled in. */
export interface ProviderSettings {
  id: string;
  api: ProviderApi;
  baseUrl: string;
  apiKey?: string;
  headers?: Record<string, string>;
  /** Limit for the whole request when nothing arrives, in ms. @default 120000 */
  timeoutMs: number;
}

/** Builds a provider of one wire API. */
export type ProviderFactory = (settings: ProviderSettings) => ChatProvider;

/** What went wrong upstream, in terms a user can act on. */
export type ProviderErrorKind =
  | "auth"
  | "model_not_found"
  | "rate_limit"
  | "unreachable"
  | "timeout"
  | "aborted"
  | "bad_request"
  | "upstream";

/**
 * An answer that arrived but cannot be read (an unknown content-encoding, endless redirects):
 * the upstream's fault, not the network's.
 */
export class UnreadableAnswerError extends Error {
  override name = "UnreadableAnswerError";
}

/** An upstream failure, mapped to a clear message. */
export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly provider: string;
  /** The upstream HTTP status, when there was one. */
  readonly status?: number;
  /** From the upstream `retry-after` header, for `rate_limit`. */
  readonly retryAfterMs?: number;

  constructor(
    kind: ProviderErrorKind,
    provider: string,
    message: string,
    options: { status?: number; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = kind === "aborted" ? "AbortError" : "ProviderError";
    this.kind = kind;
    this.provider = provider;
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** True for a {@linkcode ProviderError}, even one from another copy of this module. */
export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError ||
    (error instanceof Error && typeof (error as { kind?: unknown }).kind === "string" &&
      typeof (error as { provider?: unknown }).provider === "string");
}

/** The text of a message's content, images left out. */
export function contentText(content: string | ContentPart[]): string {
  if (typeof content === "string") return content;
  return content.filter((part) => part.type === "text").map((part) => part.text).join("");
}

/** An upstream's answer, from fetch or from a kept HTTP/1.1 connection. */
export interface UpstreamResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  /** The next chunk of the body, or undefined at its end; valid until the next read. */
  read(): Promise<Uint8Array | undefined>;
  text(): Promise<string>;
  json(): Promise<unknown>;
  /**
   * Stops reading the body, closing the upstream request (a kept connection is closed unless the
   * body had already ended).
   */
  cancel(): Promise<void>;
  /**
   * Reads what little is left of a body whose content the caller has whole (the last chunk's
   * framing after an SSE stream's last event), so the connection is kept for the next request;
   * a body that goes on is cancelled. Never rejects.
   */
  release(): Promise<void>;
}
