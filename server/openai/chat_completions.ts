/**
 * @module `POST /v1/chat/completions`: OpenAI's Chat Completions API over any configured
 * provider or agent, streamed (SSE, `data: [DONE]`, `stream_options.include_usage`) or not.
 */

import {
  finishOf,
  type FinishReason,
  type OpenAiCompletionBody,
  type ToolCall,
  type Usage,
} from "../../agent/providers/types.ts";
import { answerText, answerToolCall } from "../../agent/providers/answer_parts.ts";
import { isPlainObject } from "../../core/config/key_path.ts";
import { type HttpContext, type HttpRoute, jsonResponse } from "../http_routes.ts";
import { chatCompletionSchema, chatCompletionTurn, plainChatBody } from "./_chat_request.ts";
import { errorResponse, readJsonBody } from "./_errors.ts";
import { type OpenedStream, openModelStream, providerCompletion } from "./_model_source.ts";
import { sseResponse } from "./_sse.ts";
import { chatChunks, type ChunkMeta, openAiUsage } from "./_chat_chunks.ts";

export const chatCompletionsRoute: HttpRoute = {
  method: "POST",
  path: "/v1/chat/completions",
  auth: true,
  async handle(request: Request, ctx: HttpContext): Promise<Response> {
    let opened: OpenedStream;
    let body;
    try {
      body = await readJsonBody(request, chatCompletionSchema, plainChatBody);
      const turn = chatCompletionTurn(body);
      // An upstream that speaks this API answers a plain request in its words: they are passed
      // on, with what must change, rather than taken apart into events and written again.
      const whole = body.stream ? undefined : providerCompletion(ctx, body.model, turn);
      if (whole) {
        const { answer, usage } = await whole;
        return jsonResponse(passedOn(answer, body.model, usage));
      }
      // A non-streaming client needs only the whole answer: the upstream call need not stream.
      opened = await openModelStream(
        ctx,
        body.model,
        body.stream ? turn : { ...turn, stream: false },
      );
    } catch (error) {
      return errorResponse(error, ctx);
    }
    const meta = { id: completionId(), created: nowSeconds(), model: body.model };
    if (body.stream) {
      return sseResponse(
        chatChunks(opened, meta, body.stream_options?.include_usage === true, ctx),
      );
    }
    try {
      return jsonResponse(await completion(opened, meta));
    } catch (error) {
      return errorResponse(error, ctx);
    }
  },
};

const completionId = () => `chatcmpl-${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The upstream's answer as this API's: the model named as the client named it, an id and time
 * of the upstream's where they have the right form, and what a client reads filled in where
 * the upstream left it out or gave it in another shape (the message's text, `refusal` and
 * `logprobs` as null, the finish reason, the usage counts). Whatever else the upstream said
 * (`system_fingerprint`, a message's `reasoning_content`, usage details) goes on.
 *
 * @param usage the answer's usage as {@linkcode providerCompletion} read it
 */
function passedOn(
  upstream: OpenAiCompletionBody,
  model: string,
  usage: Usage | undefined,
): OpenAiCompletionBody {
  if (typeof upstream.id !== "string" || !upstream.id.startsWith("chatcmpl-")) {
    upstream.id = completionId();
  }
  upstream.object = "chat.completion";
  if (!Number.isSafeInteger(upstream.created)) upstream.created = nowSeconds();
  upstream.model = model;
  const choice = upstream.choices[0]; // an object: the provider checked
  upstream.choices = [choice]; // n is 1
  choice.index = 0;
  // Null when absent or of another shape: a client reads an object or null.
  if (!isPlainObject(choice.logprobs)) choice.logprobs = null;
  const message = isPlainObject(choice.message) ? choice.message : (choice.message = {});
  message.role = "assistant";
  const calls = Array.isArray(message.tool_calls) && message.tool_calls.length
    ? message.tool_calls.map((call, index) => {
      const { id, name, arguments: args } = answerToolCall(call, index);
      return {
        ...(isPlainObject(call) ? call : {}),
        id,
        type: "function",
        function: { name, arguments: args },
      };
    })
    : undefined;
  if (calls) message.tool_calls = calls;
  else delete message.tool_calls;
  if (typeof message.content !== "string") message.content = answerText(message.content);
  if (!message.content && calls) message.content = null;
  if (typeof message.refusal !== "string") message.refusal = null;
  choice.finish_reason = finishOf(choice.finish_reason, calls !== undefined);
  const counts = openAiUsage(usage);
  // The counts a client reads, with any detail the upstream gave (cached tokens, reasoning).
  upstream.usage = isPlainObject(upstream.usage) ? Object.assign(upstream.usage, counts) : counts;
  return upstream;
}

async function completion(opened: OpenedStream, meta: ChunkMeta) {
  let text = "";
  const calls: ToolCall[] = [];
  let finish: FinishReason = "stop";
  let usage: Usage | undefined;
  for (let next = opened.first; !next.done; next = await opened.rest.next()) {
    for (const event of next.value) {
      if (event.type === "text") text += event.text;
      else if (event.type === "tool_call") calls.push(event.call);
      else if (event.type === "finish") {
        finish = event.reason;
        usage = event.usage;
      }
    }
  }
  return {
    ...meta,
    object: "chat.completion",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: text || (calls.length ? null : ""),
        refusal: null,
        ...(calls.length
          ? {
            tool_calls: calls.map((call) => ({
              id: call.id,
              type: "function",
              function: { name: call.name, arguments: call.arguments },
            })),
          }
          : {}),
      },
      logprobs: null,
      finish_reason: finish,
    }],
    usage: openAiUsage(usage),
  };
}
