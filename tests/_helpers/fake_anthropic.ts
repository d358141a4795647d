/**
 * @module A stand-in for Anthropic's Messages API: `POST /v1/messages` (SSE events
 * `message_start` … `message_stop`, or plain JSON), `GET /v1/models`, scripted text and
 * `tool_use` replies, error statuses (401, 404, 429 with `retry-after`) and slow streams.
 *
 * @example
 * ```ts
 * await using upstream = await startFakeAnthropic({ apiKey: "sk-ant-test" });
 * upstream.reply({ toolCalls: [{ name: "echo", arguments: { text: "hi" } }] }, { text: "Done" });
 * // config: { models: { providers: { anthropic: { baseUrl: upstream.url, apiKey: "sk-ant-test" } } } }
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

export type { FakeProvider, RecordedRequest, ReplyScript, ScriptedReply } from "./fake_script.ts";

/** Starts the stand-in on `127.0.0.1:0`. Close it (or `await using` it) at the end. */
export function startFakeAnthropic(options: FakeProviderOptions = {}): Promise<FakeProvider> {
  const server: FakeServer = new FakeServer(lastUserText, (request) => handle(request));
  const handle = async (request: RecordedRequest): Promise<Response> => {
    if (options.apiKey && request.headers.get("x-api-key") !== options.apiKey) {
      return error(401, "authentication_error", "invalid x-api-key");
    }
    if (!request.headers.get("anthropic-version")) {
      return error(400, "invalid_request_error", "anthropic-version header is required");
    }
    if (request.method === "GET" && request.path === "/v1/models") {
      const ids = options.models ?? ["claude-test"];
      return Response.json({
        data: ids.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01" })),
        has_more: false,
      });
    }
    if (request.method !== "POST" || request.path !== "/v1/messages") {
      return error(404, "not_found_error", `Unknown path ${request.path}`);
    }
    const body = request.body ?? {};
    if (typeof body.max_tokens !== "number") {
      return error(400, "invalid_request_error", "max_tokens: Field required");
    }
    if (options.models && !options.models.includes(body.model)) {
      return error(404, "not_found_error", `model: ${body.model}`);
    }
    const reply = server.next(request);
    await sleep(reply.delayMs ?? 0, request.signal);
    if (reply.error) {
      const headers: Record<string, string> = reply.error.retryAfter !== undefined
        ? { "retry-after": String(reply.error.retryAfter) }
        : {};
      const type = reply.error.type ??
        (reply.error.status === 429
          ? "rate_limit_error"
          : reply.error.status === 401
          ? "authentication_error"
          : "api_error");
      return error(
        reply.error.status,
        type,
        reply.error.message ?? `Scripted error ${reply.error.status}`,
        headers,
      );
    }
    return body.stream ? stream(server, body, reply) : message(body, reply);
  };
  return Promise.resolve(server.facade());
}

function error(
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): Response {
  return Response.json({ type: "error", error: { type, message } }, { status, headers });
}

// deno-lint-ignore no-explicit-any
function lastUserText(body: any): string {
  const messages = Array.isArray(body?.messages) ? body.messages : [];
  // deno-lint-ignore no-explicit-any
  const last = [...messages].reverse().find((m: any) => m.role === "user");
  if (!last) return "";
  if (typeof last.content === "string") return last.content;
  // deno-lint-ignore no-explicit-any
  return (last.content ?? []).filter((b: any) => b.type === "text").map((b: any) => b.text).join(
    "",
  );
}

function stopOf(reply: ScriptedReply): string {
  if (reply.finishReason) return reply.finishReason;
  return reply.toolCalls?.length ? "tool_use" : "end_turn";
}

function usageOf(reply: ScriptedReply) {
  return {
    input_tokens: reply.usage?.prompt ?? 10,
    output_tokens: reply.usage?.completion ?? Math.max(1, replyChunks(reply).length),
  };
}

function toolInput(call: { arguments: unknown }): unknown {
  if (typeof call.arguments !== "string") return call.arguments ?? {};
  try {
    return JSON.parse(call.arguments);
  } catch {
    return {};
  }
}

// deno-lint-ignore no-explicit-any
function message(body: any, reply: ScriptedReply): Response {
  const content: unknown[] = [];
  if (reply.text) content.push({ type: "text", text: reply.text });
  for (const [i, call] of (reply.toolCalls ?? []).entries()) {
    content.push({
      type: "tool_use",
      id: call.id ?? `toolu_${i}`,
      name: call.name,
      input: toolInput(call),
    });
  }
  return Response.json({
    id: `msg_fake${crypto.randomUUID().slice(0, 8)}`,
    type: "message",
    role: "assistant",
    model: body.model,
    content,
    stop_reason: stopOf(reply),
    stop_sequence: null,
    usage: usageOf(reply),
  });
}

// deno-lint-ignore no-explicit-any
function stream(server: FakeServer, body: any, reply: ScriptedReply): Response {
  const event = (type: string, data: Record<string, unknown>) =>
    `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  const usage = usageOf(reply);
  return server.sse(async (send, signal) => {
    const pace = pacer(reply, signal);
    send(event("message_start", {
      message: {
        id: `msg_fake${crypto.randomUUID().slice(0, 8)}`,
        type: "message",
        role: "assistant",
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: usage.input_tokens, output_tokens: 1 },
      },
    }));
    send(event("ping", {}));
    let block = 0;
    const chunks = replyChunks(reply);
    if (chunks.length) {
      send(event("content_block_start", {
        index: block,
        content_block: { type: "text", text: "" },
      }));
      for (const text of chunks) {
        if (!await pace()) return;
        send(event("content_block_delta", {
          index: block,
          delta: { type: "text_delta", text },
        }));
      }
      send(event("content_block_stop", { index: block }));
      block += 1;
    }
    for (const [i, call] of (reply.toolCalls ?? []).entries()) {
      if (!await pace()) return;
      send(event("content_block_start", {
        index: block,
        content_block: {
          type: "tool_use",
          id: call.id ?? `toolu_${i}`,
          name: call.name,
          input: {},
        },
      }));
      const args = argumentsText(call);
      const half = Math.ceil(args.length / 2);
      for (const part of [args.slice(0, half), args.slice(half)]) {
        send(event("content_block_delta", {
          index: block,
          delta: { type: "input_json_delta", partial_json: part },
        }));
      }
      send(event("content_block_stop", { index: block }));
      block += 1;
    }
    send(event("message_delta", {
      delta: { stop_reason: stopOf(reply), stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }));
    send(event("message_stop", {}));
  });
}
