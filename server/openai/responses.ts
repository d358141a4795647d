/**
 * @module `POST /v1/responses`: OpenAI's Responses API over any configured provider or agent,
 * non-streamed or streamed with its typed events (`response.created`, `response.output_item.added`,
 * `response.output_text.delta`, `response.function_call_arguments.delta/.done`,
 * `response.output_item.done`, `response.completed`, ...).
 */

import type { StreamEvent, Usage } from "../../agent/providers/types.ts";
import { type HttpContext, type HttpRoute, jsonResponse } from "../http_routes.ts";
import { errorBody, errorResponse, readJsonBody } from "./_errors.ts";
import { type OpenedStream, openModelStream } from "./_model_source.ts";
import { type ResponsesBody, responsesSchema, responsesTurn } from "./_responses_request.ts";
import { sseFrame, sseResponse } from "./_sse.ts";

export const responsesRoute: HttpRoute = {
  method: "POST",
  path: "/v1/responses",
  auth: true,
  async handle(request: Request, ctx: HttpContext): Promise<Response> {
    let body: ResponsesBody;
    let opened: OpenedStream;
    try {
      body = await readJsonBody(request, responsesSchema);
      const turn = responsesTurn(body);
      opened = await openModelStream(
        ctx,
        body.model,
        body.stream ? turn : { ...turn, stream: false },
      );
    } catch (error) {
      return errorResponse(error, ctx);
    }
    const builder = new ResponseBuilder(body);
    if (body.stream) return sseResponse(streamFrames(opened, builder, ctx));
    try {
      for (let next = opened.first; !next.done; next = await opened.rest.next()) {
        for (const event of next.value) builder.consume(event);
      }
      return jsonResponse(builder.response(builder.finalStatus()));
    } catch (error) {
      return errorResponse(error, ctx);
    }
  },
};

/**
 * The answer's frames, those of an upstream read written together (one string a read). Frames
 * not yet sent (the opening two, when the source ends before any event) go with the last one.
 */
async function* streamFrames(
  opened: OpenedStream,
  builder: ResponseBuilder,
  ctx: { config(): object },
) {
  let text = builder.take(
    ["response.created", { response: builder.response("in_progress") }],
    ["response.in_progress", { response: builder.response("in_progress") }],
  );
  try {
    for (let next = opened.first; !next.done; next = await opened.rest.next()) {
      for (const event of next.value) text += builder.take(...builder.consume(event));
      if (text) yield text;
      text = "";
    }
    const status = builder.finalStatus();
    yield text + builder.take([
      status === "completed" ? "response.completed" : "response.incomplete",
      { response: builder.response(status) },
    ]);
  } catch (error) {
    const { body } = errorBody(error, ctx.config());
    builder.error = { code: body.error.code ?? "server_error", message: body.error.message };
    yield text + builder.take(["response.failed", { response: builder.response("failed") }]);
  } finally {
    await opened.rest.return(undefined);
  }
}

type Frame = [type: string, data: Record<string, unknown>];
type Item = Record<string, unknown> & { id: string; type: string };

const shortId = () => crypto.randomUUID().replace(/-/g, "").slice(0, 24);

/** Folds provider events into Responses API output items, and the events that announce them. */
class ResponseBuilder {
  readonly id = `resp_${shortId()}`;
  readonly createdAt = Math.floor(Date.now() / 1000);
  #body: ResponsesBody;
  #output: Item[] = [];
  #text: { index: number; item: Item; text: string } | undefined;
  #calls = new Map<number, { index: number; item: Item }>();
  #usage: Usage | undefined;
  #finish = "stop";
  #seq = 0;
  error: { code: string; message: string } | undefined;

  constructor(body: ResponsesBody) {
    this.#body = body;
  }

  /** The SSE frames of events, numbered in order, as one string. */
  take(...frames: Frame[]): string {
    let text = "";
    for (const [type, data] of frames) {
      text += sseFrame({ type, sequence_number: this.#seq++, ...data }, type);
    }
    return text;
  }

  consume(event: StreamEvent): Frame[] {
    switch (event.type) {
      case "text":
        return this.#addText(event.text);
      case "tool_call_delta": {
        const frames = this.#closeText();
        const call = this.#call(event.index, event.id, event.name, frames);
        if (event.arguments) {
          call.item.arguments = String(call.item.arguments) + event.arguments;
          frames.push(["response.function_call_arguments.delta", {
            item_id: call.item.id,
            output_index: call.index,
            delta: event.arguments,
          }]);
        }
        return frames;
      }
      case "tool_call": {
        const frames = this.#closeText();
        const call = this.#call(event.index, event.call.id, event.call.name, frames);
        Object.assign(call.item, { arguments: event.call.arguments, status: "completed" });
        frames.push(
          ["response.function_call_arguments.done", {
            item_id: call.item.id,
            output_index: call.index,
            arguments: event.call.arguments,
          }],
          ["response.output_item.done", { output_index: call.index, item: call.item }],
        );
        return frames;
      }
      case "finish":
        this.#usage = event.usage;
        this.#finish = event.reason;
        return this.#closeText();
    }
  }

  #addText(delta: string): Frame[] {
    const frames: Frame[] = [];
    if (!this.#text) {
      const item: Item = {
        type: "message",
        id: `msg_${shortId()}`,
        status: "in_progress",
        role: "assistant",
        content: [],
      };
      this.#text = { index: this.#output.push(item) - 1, item, text: "" };
      frames.push(
        ["response.output_item.added", { output_index: this.#text.index, item: { ...item } }],
        ["response.content_part.added", {
          item_id: item.id,
          output_index: this.#text.index,
          content_index: 0,
          part: { type: "output_text", text: "", annotations: [] },
        }],
      );
    }
    this.#text.text += delta;
    frames.push(["response.output_text.delta", {
      item_id: this.#text.item.id,
      output_index: this.#text.index,
      content_index: 0,
      delta,
      logprobs: [],
    }]);
    return frames;
  }

  #closeText(): Frame[] {
    const open = this.#text;
    if (!open) return [];
    this.#text = undefined;
    const part = { type: "output_text", text: open.text, annotations: [], logprobs: [] };
    Object.assign(open.item, { status: "completed", content: [part] });
    const at = { item_id: open.item.id, output_index: open.index, content_index: 0 };
    return [
      ["response.output_text.done", { ...at, text: open.text, logprobs: [] }],
      ["response.content_part.done", { ...at, part }],
      ["response.output_item.done", { output_index: open.index, item: open.item }],
    ];
  }

  #call(index: number, callId: string | undefined, name: string | undefined, frames: Frame[]) {
    let call = this.#calls.get(index);
    if (!call) {
      const item: Item = {
        type: "function_call",
        id: `fc_${shortId()}`,
        call_id: callId ?? `call_${shortId()}`,
        name: name ?? "",
        arguments: "",
        status: "in_progress",
      };
      call = { index: this.#output.push(item) - 1, item };
      this.#calls.set(index, call);
      frames.push(["response.output_item.added", { output_index: call.index, item: { ...item } }]);
    }
    return call;
  }

  finalStatus(): "completed" | "incomplete" {
    return this.#finish === "length" ? "incomplete" : "completed";
  }

  response(status: "in_progress" | "completed" | "incomplete" | "failed") {
    const body = this.#body;
    const done = status !== "in_progress";
    const u = this.#usage;
    return {
      id: this.id,
      object: "response",
      created_at: this.createdAt,
      status,
      model: body.model,
      output: done ? this.#output : [],
      output_text: done
        ? this.#output.filter((item) => item.type === "message")
          .map((item) => (item.content as { text: string }[]).map((p) => p.text).join(""))
          .join("")
        : "",
      error: status === "failed" ? this.error ?? null : null,
      incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      metadata: body.metadata ?? {},
      parallel_tool_calls: true,
      previous_response_id: null,
      temperature: body.temperature ?? null,
      top_p: body.top_p ?? null,
      tool_choice: body.tool_choice ?? "auto",
      tools: body.tools ?? [],
      text: { format: body.text?.format ?? { type: "text" } },
      truncation: "disabled",
      store: false,
      user: body.user ?? null,
      usage: done && u
        ? {
          input_tokens: u.promptTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: u.completionTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: u.totalTokens,
        }
        : null,
    };
  }
}
