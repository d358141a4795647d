/**
 * @module The OpenAI Chat Completions wire API: openai, deepseek, qwen, moonshot, groq,
 * openrouter, ollama and any compatible `baseUrl`.
 */

import { joinUrl, readJson, sseReads, upstreamFetch } from "./_http.ts";
import {
  type ChatMessage,
  type ChatProvider,
  type ChatRequest,
  type ContentPart,
  contentText,
  eachEvent,
  type ModelInfo,
  type OpenAiCompletionBody,
  ProviderError,
  type ProviderSettings,
  type ToolSpec,
} from "./types.ts";
import { completionReads, openAiReads } from "./_openai_reads.ts";

const isDone = (event: { data: string }) => event.data === "[DONE]";

/** Builds an OpenAI-compatible provider. */
export function createOpenAiProvider(settings: ProviderSettings): ChatProvider {
  const officialApi = /^https:\/\/api\.openai\.com\//.test(settings.baseUrl);
  const headers = (): Record<string, string> => ({
    "content-type": "application/json",
    accept: "text/event-stream",
    ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
    ...settings.headers,
  });
  // Built once per provider: every request sends the same.
  const chatHeaders = Object.entries(headers());
  const chatUrl = joinUrl(settings.baseUrl, "chat/completions");
  const open = (request: ChatRequest) =>
    upstreamFetch({
      provider: settings.id,
      url: chatUrl,
      headers: chatHeaders,
      rawBody: openAiBodyBytes(request, { officialApi }),
      timeoutMs: settings.timeoutMs,
      signal: request.signal,
      model: request.model,
    });
  const streamReads = (request: ChatRequest) =>
    request.stream === false
      ? completionReads(() => complete(request))
      : openAiReads(settings.id, async () => sseReads(await open(request), isDone));
  /** A whole answer, checked to hold a choice. */
  const complete = async (request: ChatRequest): Promise<OpenAiCompletionBody> => {
    const body = await readJson<Partial<OpenAiCompletionBody> | null>(await open(request));
    const choice = Array.isArray(body?.choices) ? body.choices[0] : undefined;
    if (typeof choice !== "object" || choice === null || Array.isArray(choice)) {
      throw new ProviderError(
        "upstream",
        settings.id,
        `Provider ${settings.id} answered no choices`,
      );
    }
    return body as OpenAiCompletionBody;
  };
  return {
    id: settings.id,
    api: "openai",
    // The events of the reads, one by one: a streamed delta takes one generator hop on its way
    // to the run loop (issue 17, turn overhead). The fetch still starts with the first read.
    stream: (request) => eachEvent(streamReads(request)),
    streamReads,
    completeOpenAi: (request) =>
      complete(request.stream === false ? request : { ...request, stream: false }),
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
      const body = await readJson<{ data?: { id?: unknown }[] }>(call);
      return (body.data ?? [])
        .filter((model) => typeof model.id === "string")
        .map((model) => ({ id: model.id as string, provider: settings.id, source: "provider" }));
    },
  };
}

/**
 * The request body of `POST /chat/completions`; streamed with usage unless `stream: false`.
 *
 * @param options.officialApi OpenAI's own API, whose reasoning models refuse `max_tokens` and
 * want `max_completion_tokens`; compatible servers mostly know only `max_tokens`
 */
export function toOpenAiBody(
  request: ChatRequest,
  options: { officialApi?: boolean; leaveOutTools?: boolean } = {},
): Record<string, unknown> {
  // Field by field, and the messages into one array: an array per message (flatMap) and a
  // spread object per body were garbage on every request (issue 17, `/v1` added time).
  const messages: Record<string, unknown>[] = [];
  for (const message of request.messages) addOpenAiMessages(messages, message);
  const body: Record<string, unknown> = { model: request.model, messages };
  if (request.stream === false) body.stream = false;
  else {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (request.tools?.length) {
    if (!options.leaveOutTools) body.tools = request.tools.map(openAiTool);
    if (request.toolChoice) {
      body.tool_choice = typeof request.toolChoice === "string"
        ? request.toolChoice
        : { type: "function", function: { name: request.toolChoice.name } };
    }
    // OpenAI refuses `parallel_tool_calls` in a request without tools.
    if (request.parallelToolCalls !== undefined) {
      body.parallel_tool_calls = request.parallelToolCalls;
    }
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.maxTokens !== undefined) {
    body[options.officialApi ? "max_completion_tokens" : "max_tokens"] = request.maxTokens;
  }
  if (request.stop?.length) body.stop = request.stop;
  if (request.responseFormat) body.response_format = request.responseFormat;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.logprobs !== undefined) body.logprobs = request.logprobs;
  if (request.topLogprobs !== undefined) body.top_logprobs = request.topLogprobs;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.logitBias !== undefined) body.logit_bias = request.logitBias;
  return body;
}

/**
 * The request body as JSON bytes: {@linkcode toOpenAiBody}'s, with the `tools` array serialised
 * and encoded once per array. A turn offers the same frozen specs turn after turn
 * (agent/tool_calls.ts), and their schemas were most of the body: serialising and encoding them
 * again was a turn's largest cost on the way to the upstream (about 15 KB of JSON for the
 * built-in tools; issue 17).
 */
export function openAiBodyBytes(
  request: ChatRequest,
  options: { officialApi?: boolean } = {},
): Uint8Array<ArrayBuffer> {
  const text = JSON.stringify(
    toOpenAiBody(request, { officialApi: options.officialApi, leaveOutTools: true }),
  );
  if (!request.tools?.length) return utf8.encode(text);
  let tools = toolsBytes.get(request.tools);
  if (tools === undefined) {
    tools = utf8.encode(JSON.stringify(request.tools.map(openAiTool)));
    toolsBytes.set(request.tools, tools);
  }
  // The body is an object with `model` first: its text ends with the closing brace.
  const head = utf8.encode(`${text.slice(0, -1)},"tools":`);
  const body = new Uint8Array(head.length + tools.length + 1);
  body.set(head);
  body.set(tools, head.length);
  body[body.length - 1] = 0x7d; // "}"
  return body;
}

const utf8 = new TextEncoder();

/** Each tool array's `tools` JSON; `ChatRequest.tools` is read-only, so it stays true. */
const toolsBytes = new WeakMap<readonly ToolSpec[], Uint8Array<ArrayBuffer>>();

function openAiTool(tool: ToolSpec) {
  return {
    type: "function",
    function: { name: tool.name, description: tool.description, parameters: tool.parameters },
  };
}

function toOpenAiContent(content: string | ContentPart[]): unknown {
  if (typeof content === "string") return content;
  return content.map((part) =>
    part.type === "text"
      ? { type: "text", text: part.text }
      : { type: "image_url", image_url: { url: `data:${part.mimeType};base64,${part.base64}` } }
  );
}

/** Adds `message` to `out` as OpenAI's messages (a tool's result may take two). */
function addOpenAiMessages(out: Record<string, unknown>[], message: ChatMessage): void {
  switch (message.role) {
    case "system":
      out.push({ role: "system", content: message.content });
      return;
    case "user":
      out.push({ role: "user", content: toOpenAiContent(message.content) });
      return;
    case "assistant":
      out.push({
        role: "assistant",
        content: message.content || (message.toolCalls?.length ? null : ""),
        ...(message.toolCalls?.length
          ? {
            tool_calls: message.toolCalls.map((call) => ({
              id: call.id,
              type: "function",
              function: { name: call.name, arguments: call.arguments || "{}" },
            })),
          }
          : {}),
      });
      return;
    case "tool": {
      // Tool messages carry text only; images a tool returned follow as a user message.
      out.push({
        role: "tool",
        tool_call_id: message.toolCallId,
        content: contentText(message.content),
      });
      if (typeof message.content !== "string" && message.content.some((p) => p.type === "image")) {
        out.push({
          role: "user",
          content: toOpenAiContent([
            { type: "text", text: `Images returned by the ${message.name} tool:` },
            ...message.content.filter((part) => part.type === "image"),
          ]),
        });
      }
      return;
    }
  }
}
