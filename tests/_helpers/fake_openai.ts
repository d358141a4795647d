/**
 * @module A stand-in for an OpenAI-compatible provider: `POST /v1/chat/completions` (SSE with
 * `data: [DONE]` and `stream_options.include_usage`, or plain JSON), `GET /v1/models`, scripted
 * replies with tool calls, error statuses (401, 404, 429 with `retry-after`) and slow streams,
 * and `POST /v1/embeddings` (tests/_helpers/fake_embeddings.ts).
 *
 * @example
 * ```ts
 * await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
 * upstream.reply({ text: "Hello there" });
 * // config: { models: { providers: { fake: { baseUrl: upstream.url, apiKey: "sk-test" } } } }
 * ```
 */

import {
  argumentsText,
  type FakeProvider,
  type FakeProviderOptions,
  FakeServer,
  pacer,
  type RecordedRequest,
  replyChunks,
  type ScriptedReply,
  sleep,
} from "./fake_script.ts";
import { embeddingsResponse, type EmbedText } from "./fake_embeddings.ts";

export type { FakeProvider, RecordedRequest, ReplyScript, ScriptedReply } from "./fake_script.ts";

/** Starts the stand-in on `127.0.0.1:0`. Close it (or `await using` it) at the end. */
export function startFakeOpenAI(
  options: FakeProviderOptions & { embed?: EmbedText } = {},
): Promise<FakeProvider> {
  const server: FakeServer = new FakeServer(lastUserText, (request) => handle(server, request));
  const handle = async (server: FakeServer, request: RecordedRequest): Promise<Response> => {
    if (options.apiKey && request.headers.get("authorization") !== `Bearer ${options.apiKey}`) {
      return error(401, "Incorrect API key provided", "invalid_request_error", "invalid_api_key");
    }
    if (request.method === "GET" && request.path === "/v1/models") {
      const ids = options.models ?? ["gpt-test"];
      return Response.json({
        object: "list",
        data: ids.map((id) => ({ id, object: "model", created: 1709000000, owned_by: "fake" })),
      });
    }
    if (request.method === "POST" && request.path === "/v1/embeddings") {
      return embeddingsResponse(request.body, options.embed);
    }
    if (request.method !== "POST" || request.path !== "/v1/chat/completions") {
      return error(404, `Unknown path ${request.path}`, "invalid_request_error", "not_found");
    }
    const body = request.body ?? {};
    if (options.models && !options.models.includes(body.model)) {
      return error(
        404,
        `The model \`${body.model}\` does not exist`,
        "invalid_request_error",
        "model_not_found",
      );
    }
    const reply = server.next(request);
    await sleep(reply.delayMs ?? 0, request.signal);
    if (reply.error) {
      const headers: Record<string, string> = reply.error.retryAfter !== undefined
        ? { "retry-after": String(reply.error.retryAfter) }
        : {};
      return error(
        reply.error.status,
        reply.error.message ?? `Scripted error ${reply.error.status}`,
        reply.error.type ?? (reply.error.status === 429 ? "rate_limit_error" : "api_error"),
        reply.error.code ?? null,
        headers,
      );
    }
    return body.stream ? stream(server, body, reply) : completion(body, reply);
  };
  return Promise.resolve(server.facade());
}

function error(
  status: number,
  message: string,
  type: string,
  code: string | null,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ error: { message, type, code, param: null } }, { status, headers });
}

// deno-lint-ignore no-explicit-any
function lastUserText(body: any): string {
  const messages = Array.isArray(body?.messages) ? body.messages : [];
  // deno-lint-ignore no-explicit-any
  const last = [...messages].reverse().find((m: any) => m.role === "user");
  if (!last) return "";
  if (typeof last.content === "string") return last.content;
  // deno-lint-ignore no-explicit-any
  return (last.content ?? []).filter((p: any) => p.type === "text").map((p: any) => p.text).join(
    "",
  );
}

function usageOf(reply: ScriptedReply) {
  const prompt = reply.usage?.prompt ?? 10;
  const completion = reply.usage?.completion ?? Math.max(1, replyChunks(reply).length);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
  };
}

function finishOf(reply: ScriptedReply): string {
  return reply.finishReason ?? (reply.toolCalls?.length ? "tool_calls" : "stop");
}

// deno-lint-ignore no-explicit-any
function completion(body: any, reply: ScriptedReply): Response {
  const toolCalls = (reply.toolCalls ?? []).map((call, i) => ({
    id: call.id ?? `call_${i}`,
    type: "function",
    function: { name: call.name, arguments: argumentsText(call) },
  }));
  return Response.json({
    id: `chatcmpl-fake${crypto.randomUUID().slice(0, 8)}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: body.model,
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: reply.text ?? (toolCalls.length ? null : ""),
        ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
      },
      finish_reason: finishOf(reply),
    }],
    usage: usageOf(reply),
  });
}

// deno-lint-ignore no-explicit-any
function stream(server: FakeServer, body: any, reply: ScriptedReply): Response {
  const id = `chatcmpl-fake${crypto.randomUUID().slice(0, 8)}`;
  const created = Math.floor(Date.now() / 1000);
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${
      JSON.stringify({
        id,
        object: "chat.completion.chunk",
        created,
        model: body.model,
        choices,
        ...extra,
      })
    }\n\n`;
  return server.sse(async (send, signal) => {
    const pace = pacer(reply, signal);
    send(chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]));
    for (const text of replyChunks(reply)) {
      if (!await pace()) return;
      send(chunk([{ index: 0, delta: { content: text }, finish_reason: null }]));
    }
    for (const [index, call] of (reply.toolCalls ?? []).entries()) {
      if (!await pace()) return;
      const args = argumentsText(call);
      const half = Math.ceil(args.length / 2);
      send(chunk([{
        index: 0,
        delta: {
          tool_calls: [{
            index,
            id: call.id ?? `call_${index}`,
            type: "function",
            function: { name: call.name, arguments: args.slice(0, half) },
          }],
        },
        finish_reason: null,
      }]));
      send(chunk([{
        index: 0,
        delta: { tool_calls: [{ index, function: { arguments: args.slice(half) } }] },
        finish_reason: null,
      }]));
    }
    send(chunk([{ index: 0, delta: {}, finish_reason: finishOf(reply) }]));
    if (body.stream_options?.include_usage) send(chunk([], { usage: usageOf(reply) }));
    send("data: [DONE]\n\n");
  });
}
