/** @module The Anthropic Messages wire API (`POST /v1/messages`, streamed). */

import { sha256Hex } from "../../core/bytes.ts";
import { joinUrl, readJson, sseReads, type UpstreamCall, upstreamFetch } from "./_http.ts";
import {
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type ContentPart,
  eachEvent,
  type FinishReason,
  type ModelInfo,
  ProviderError,
  type ProviderSettings,
  type StreamEvent,
  type ToolCall,
} from "./types.ts";

const API_VERSION = "2023-06-01";
/** Anthropic requires `max_tokens`; this is the default when neither request nor config says. */
const DEFAULT_MAX_TOKENS = 4096;

/** Builds an Anthropic Messages provider. */
export function createAnthropicProvider(settings: ProviderSettings): ChatProvider {
  const headers = (): Record<string, string> => ({
    "content-type": "application/json",
    "anthropic-version": API_VERSION,
    ...(settings.apiKey ? { "x-api-key": settings.apiKey } : {}),
    ...settings.headers,
  });
  // Built once per provider: every request sends the same.
  const messageHeaders = Object.entries({ ...headers(), accept: "text/event-stream" });
  const messagesUrl = joinUrl(settings.baseUrl, "messages");
  return {
    id: settings.id,
    api: "anthropic",
    async *stream(request: ChatRequest): AsyncGenerator<StreamEvent> {
      const call = await upstreamFetch({
        provider: settings.id,
        url: messagesUrl,
        headers: messageHeaders,
        body: toAnthropicBody(request, request.user ? await opaqueUserId(request.user) : undefined),
        timeoutMs: settings.timeoutMs,
        signal: request.signal,
        model: request.model,
      });
      if (request.stream === false) {
        yield* messageEvents(settings.id, call);
        return;
      }
      yield* parseAnthropicStream(settings.id, eachEvent(sseReads(call, isStop)));
    },
    async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
      const call = await upstreamFetch({
        provider: settings.id,
        url: joinUrl(settings.baseUrl, "models"),
        headers: { ...headers(), accept: "application/json" },
        body: undefined,
        method: "GET",
        timeoutMs: settings.timeoutMs,
        signal,
      });
      const body = await readJson<{ data?: { id?: unknown; display_name?: unknown }[] }>(call);
      return (body.data ?? []).filter((model) => typeof model.id === "string").map((model) => ({
        id: model.id as string,
        provider: settings.id,
        ...(typeof model.display_name === "string" ? { name: model.display_name } : {}),
        source: "provider" as const,
      }));
    },
  };
}

type Block = Record<string, unknown>;

const isStop = (event: { event?: string; data: string }) =>
  event.event === "message_stop" || event.data.includes('"type":"message_stop"');

/**
 * The `metadata.user_id` for the end user `user`: the first 32 hex digits of its SHA-256.
 * Anthropic asks for an opaque id (no name, e-mail or phone number), and OpenAI clients send
 * whatever names their user, e-mail addresses most often; the same user keeps the same id.
 */
export async function opaqueUserId(user: string): Promise<string> {
  return (await sha256Hex(user)).slice(0, 32);
}

/**
 * The request body of `POST /v1/messages`.
 *
 * @param userId the end user's opaque id ({@linkcode opaqueUserId}), sent as `metadata.user_id`
 */
export function toAnthropicBody(request: ChatRequest, userId?: string): Record<string, unknown> {
  const system = request.messages
    .filter((message) => message.role === "system")
    .map((message) => message.content)
    .join("\n\n");
  const messages: { role: "user" | "assistant"; content: Block[] }[] = [];
  for (const message of request.messages) {
    if (message.role === "system") continue;
    const role = message.role === "assistant" ? "assistant" : "user";
    const blocks = toBlocks(message);
    const last = messages.at(-1);
    // The Messages API wants alternating roles: consecutive tool results share one user turn.
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  }
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
    messages,
    stream: request.stream !== false,
  };
  if (system) body.system = system;
  if (request.tools?.length) {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.parameters,
    }));
    const choice = request.toolChoice;
    if (choice) {
      body.tool_choice = typeof choice === "object"
        ? { type: "tool", name: choice.name }
        : { type: choice === "required" ? "any" : choice };
    }
    // OpenAI's `parallel_tool_calls: false`; Anthropic's "none" choice takes no such flag.
    if (request.parallelToolCalls === false && choice !== "none") {
      body.tool_choice = {
        ...(body.tool_choice as Record<string, unknown> ?? { type: "auto" }),
        disable_parallel_tool_use: true,
      };
    }
  }
  if (userId) body.metadata = { user_id: userId };
  // Anthropic's temperature range is 0..1; OpenAI clients may send up to 2.
  if (request.temperature !== undefined) body.temperature = Math.min(1, request.temperature);
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop?.length) body.stop_sequences = request.stop;
  return body;
}

function partsToBlocks(content: string | ContentPart[]): Block[] {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  return content.map((part) =>
    part.type === "text" ? { type: "text", text: part.text } : {
      type: "image",
      source: { type: "base64", media_type: part.mimeType, data: part.base64 },
    }
  );
}

function toBlocks(message: Exclude<ChatMessage, { role: "system" }>): Block[] {
  if (message.role === "user") return partsToBlocks(message.content);
  if (message.role === "tool") {
    return [{
      type: "tool_result",
      tool_use_id: message.toolCallId,
      content: partsToBlocks(message.content),
    }];
  }
  const blocks = partsToBlocks(message.content);
  for (const call of message.toolCalls ?? []) {
    blocks.push({ type: "tool_use", id: call.id, name: call.name, input: parseInput(call) });
  }
  return blocks.length ? blocks : [{ type: "text", text: "" }];
}

function parseInput(call: ToolCall): unknown {
  try {
    const value = JSON.parse(call.arguments || "{}");
    return value && typeof value === "object" && !Array.isArray(value) ? value : {};
  } catch {
    return {};
  }
}

interface AnthropicEvent {
  type?: string;
  index?: number;
  message?: { usage?: { input_tokens?: number; output_tokens?: number } };
  content_block?: { type?: string; id?: string; name?: string };
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string };
  usage?: { input_tokens?: number; output_tokens?: number };
  error?: { type?: string; message?: string };
}

/** Turns an Anthropic SSE stream into provider events. */
export async function* parseAnthropicStream(
  provider: string,
  events: AsyncIterable<{ data: string }>,
): AsyncGenerator<StreamEvent> {
  const calls = new Map<number, { index: number; call: ToolCall }>();
  let inputTokens = 0;
  let outputTokens = 0;
  let finish: FinishReason = "stop";
  let sawStop = false;
  for await (const event of events) {
    let data: AnthropicEvent;
    try {
      data = JSON.parse(event.data);
    } catch {
      continue;
    }
    switch (data.type) {
      case "message_start":
        inputTokens = data.message?.usage?.input_tokens ?? 0;
        outputTokens = data.message?.usage?.output_tokens ?? 0;
        break;
      case "content_block_start":
        if (data.content_block?.type === "tool_use") {
          const index = calls.size;
          const call = { id: data.content_block.id ?? `toolu_${index}`, name: "", arguments: "" };
          call.name = data.content_block.name ?? "";
          calls.set(data.index ?? index, { index, call });
          yield { type: "tool_call_delta", index, id: call.id, name: call.name };
        }
        break;
      case "content_block_delta":
        if (data.delta?.type === "text_delta" && data.delta.text) {
          yield { type: "text", text: data.delta.text };
        } else if (data.delta?.type === "input_json_delta" && data.delta.partial_json) {
          const entry = calls.get(data.index ?? 0);
          if (entry) {
            entry.call.arguments += data.delta.partial_json;
            yield {
              type: "tool_call_delta",
              index: entry.index,
              arguments: data.delta.partial_json,
            };
          }
        }
        break;
      case "message_delta":
        if (data.delta?.stop_reason) finish = mapStop(data.delta.stop_reason);
        if (data.usage?.output_tokens !== undefined) outputTokens = data.usage.output_tokens;
        if (data.usage?.input_tokens) inputTokens = data.usage.input_tokens;
        break;
      case "message_stop":
        sawStop = true;
        break;
      case "error":
        throw new ProviderError(
          data.error?.type === "overloaded_error" ? "rate_limit" : "upstream",
          provider,
          `Provider ${provider} failed mid-answer: ${data.error?.message ?? "unknown error"}`,
        );
    }
    if (sawStop) break;
  }
  if (!sawStop) {
    throw new ProviderError(
      "upstream",
      provider,
      `Provider ${provider} closed the stream before the answer finished`,
    );
  }
  for (const { index, call } of [...calls.values()].sort((a, b) => a.index - b.index)) {
    yield { type: "tool_call", index, call: { ...call, arguments: call.arguments || "{}" } };
  }
  yield {
    type: "finish",
    reason: finish,
    usage: {
      promptTokens: inputTokens,
      completionTokens: outputTokens,
      totalTokens: inputTokens + outputTokens,
    },
  };
}

function mapStop(reason: string): FinishReason {
  if (reason === "max_tokens") return "length";
  if (reason === "tool_use") return "tool_calls";
  if (reason === "refusal") return "content_filter";
  return "stop";
}

interface AnthropicMessage {
  content?: { type?: string; text?: string; id?: string; name?: string; input?: unknown }[];
  stop_reason?: string | null;
  usage?: { input_tokens?: number; output_tokens?: number };
}

/** The events of a plain (non-streamed) message. */
async function* messageEvents(provider: string, call: UpstreamCall): AsyncGenerator<StreamEvent> {
  const body = await readJson<AnthropicMessage>(call);
  if (!Array.isArray(body.content)) {
    throw new ProviderError("upstream", provider, `Provider ${provider} answered no content`);
  }
  let index = 0;
  for (const block of body.content) {
    if (block.type === "text" && block.text) yield { type: "text", text: block.text };
    if (block.type === "tool_use") {
      yield {
        type: "tool_call",
        index,
        call: {
          id: block.id ?? `toolu_${index}`,
          name: block.name ?? "",
          arguments: JSON.stringify(block.input ?? {}),
        },
      };
      index += 1;
    }
  }
  const input = body.usage?.input_tokens ?? 0;
  const output = body.usage?.output_tokens ?? 0;
  yield {
    type: "finish",
    reason: body.stop_reason ? mapStop(body.stop_reason) : "stop",
    usage: { promptTokens: input, completionTokens: output, totalTokens: input + output },
  };
}
