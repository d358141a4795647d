/**
 * @module An OpenAI-wire upstream's answer as provider events, those of each upstream read
 * together: a streamed answer's SSE events ({@linkcode openAiReads}) or a whole one's body
 * ({@linkcode completionReads}). The provider itself is openai_compat.ts.
 */

import {
  finishOf,
  type FinishReason,
  mapFinish,
  type OpenAiCompletionBody,
  ProviderError,
  type StreamEvent,
  type ToolCall,
  type Usage,
  usageOf,
} from "./types.ts";
import { answerText, answerToolCall, answerToolCallDelta } from "./answer_parts.ts";

interface OpenAiChunk {
  choices?: {
    delta?: {
      content?: string | null;
      tool_calls?: {
        index?: number;
        id?: string;
        function?: { name?: string; arguments?: string };
      }[];
    };
    finish_reason?: string | null;
    logprobs?: unknown;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number; total_tokens?: number } | null;
  error?: { message?: string };
}

/**
 * Turns an OpenAI SSE stream, opened with the first read, into provider events, those of each
 * upstream read together (never none): the read's events are made at once, with no promise
 * between them, and a consumer that writes them on handles them at once too (issue 17, first
 * streamed chunk).
 */
export async function* openAiReads(
  provider: string,
  open: () => Promise<AsyncIterable<{ data: string }[]>>,
): AsyncGenerator<StreamEvent[]> {
  const reads = await open();
  const answer = new OpenAiAnswer(provider);
  for await (const read of reads) {
    const events: StreamEvent[] = [];
    try {
      for (const { data } of read) {
        if (data === "[DONE]") {
          answer.end(events);
          break;
        }
        answer.take(data, events);
      }
    } catch (error) {
      // The events before the failure go on first, as they did when events went one by one.
      if (events.length) yield events;
      throw error;
    }
    if (events.length) yield events;
    if (answer.ended) return;
  }
  const events: StreamEvent[] = [];
  answer.end(events, { early: true });
  yield events;
}

/** The state of a streamed answer read event by event: its tool calls, finish and usage. */
class OpenAiAnswer {
  readonly #provider: string;
  readonly #calls = new Map<number, ToolCall>();
  #finish: FinishReason | undefined;
  #usage: Usage | undefined;
  ended = false;

  constructor(provider: string) {
    this.#provider = provider;
  }

  /**
   * Adds the events of one SSE event's `data` to `out`.
   *
   * @throws {ProviderError} for an `error` frame
   */
  take(data: string, out: StreamEvent[]): void {
    let chunk: OpenAiChunk;
    try {
      chunk = JSON.parse(data);
    } catch {
      return; // keep-alive comments and junk lines carry nothing
    }
    if (chunk?.error) {
      throw new ProviderError(
        "upstream",
        this.#provider,
        `Provider ${this.#provider} failed mid-answer: ${chunk.error.message ?? "unknown error"}`,
      );
    }
    if (chunk?.usage) this.#usage = usageOf(chunk.usage) ?? this.#usage;
    const choice = Array.isArray(chunk?.choices) ? chunk.choices[0] : undefined;
    if (typeof choice !== "object" || choice === null) return;
    const delta = choice.delta;
    // Read as the whole answer is (answer_parts.ts): a frame of another shape is no crash.
    const text = answerText(delta?.content);
    if (text) {
      // Present only where the request asked for them (`logprobs: true`).
      const logprobs = choice.logprobs;
      out.push(logprobs ? { type: "text", text, logprobs } : { type: "text", text });
    }
    for (const part of Array.isArray(delta?.tool_calls) ? delta.tool_calls : []) {
      const piece = answerToolCallDelta(part);
      let call = this.#calls.get(piece.index);
      if (!call) {
        call = { id: piece.id ?? `call_${piece.index}`, name: "", arguments: "" };
        this.#calls.set(piece.index, call);
      }
      if (piece.name) call.name += piece.name;
      if (piece.arguments) call.arguments += piece.arguments;
      out.push({ type: "tool_call_delta", ...piece });
    }
    if (typeof choice.finish_reason === "string" && choice.finish_reason) {
      this.#finish = mapFinish(choice.finish_reason);
    }
  }

  /**
   * Adds the closing events to `out`: every tool call whole, then `finish`.
   *
   * @param options.early the body ended without `[DONE]`
   * @throws {ProviderError} for a body that ended before the answer did (no `[DONE]`, no finish)
   */
  end(out: StreamEvent[], options: { early?: boolean } = {}): void {
    if (options.early && !this.#finish) {
      throw new ProviderError(
        "upstream",
        this.#provider,
        `Provider ${this.#provider} closed the stream before the answer finished`,
      );
    }
    this.ended = true;
    for (const [index, call] of [...this.#calls.entries()].sort((a, b) => a[0] - b[0])) {
      out.push({ type: "tool_call", index, call });
    }
    out.push({
      type: "finish",
      reason: this.#finish ?? (this.#calls.size ? "tool_calls" : "stop"),
      ...(this.#usage ? { usage: this.#usage } : {}),
    });
  }
}

/** The events of a plain (non-streamed) completion, as one read. */
export async function* completionReads(
  complete: () => Promise<OpenAiCompletionBody>,
): AsyncGenerator<StreamEvent[]> {
  const body = await complete();
  const choice = body.choices[0];
  const events: StreamEvent[] = [];
  const text = answerText(choice.message?.content);
  if (text) events.push({ type: "text", text });
  const calls = Array.isArray(choice.message?.tool_calls) ? choice.message.tool_calls : [];
  for (const [index, part] of calls.entries()) {
    events.push({ type: "tool_call", index, call: answerToolCall(part, index) });
  }
  const usage = usageOf(body.usage);
  events.push({
    type: "finish",
    reason: finishOf(choice.finish_reason, calls.length > 0),
    ...(usage ? { usage } : {}),
  });
  yield events;
}
