/**
 * @module The chunks of a streamed `/v1/chat/completions` answer: provider events written as
 * OpenAI's `chat.completion.chunk` frames, an upstream read's frames together.
 */

import type { FinishReason, StreamEvent, Usage } from "../../agent/providers/types.ts";
import { errorBody } from "./_errors.ts";
import type { OpenedStream } from "./_model_source.ts";
import { sseFrame } from "./_sse.ts";

/** What every chunk of one answer repeats. */
export type ChunkMeta = { id: string; created: number; model: string };

/** OpenAI's usage object. */
export function openAiUsage(usage: Usage | undefined) {
  const u = usage ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 };
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.totalTokens,
  };
}

/**
 * The client's frames, those of an upstream read written together (one string a read): a read
 * of many events is handled at once, with no promise between its frames (issue 17, first
 * chunk). The answer's last frames (usage, `[DONE]`) go with its finish.
 */
export async function* chatChunks(
  opened: OpenedStream,
  meta: ChunkMeta,
  includeUsage: boolean,
  ctx: { config(): object },
): AsyncGenerator<string> {
  const frames = chunkWriter(meta, includeUsage);
  try {
    for (let next = opened.first; !next.done; next = await opened.rest.next()) {
      const text = frames.of(next.value);
      if (text) yield text;
    }
    if (!frames.ended) yield frames.last(undefined);
  } catch (error) {
    // Headers are gone: report in-band, as OpenAI does, and end the stream.
    yield sseFrame(errorBody(error, ctx.config()).body);
  } finally {
    await opened.rest.return(undefined);
  }
}

/** Writes provider events as the chunks of one streamed answer. */
function chunkWriter(meta: ChunkMeta, includeUsage: boolean) {
  // Every chunk is the same object around its delta, written as JSON once: the chunk's
  // `{ ...meta, object, choices: [{ index, delta, logprobs, finish_reason }] }`.
  const head = `data: {"id":${JSON.stringify(meta.id)},"created":${meta.created},"model":${
    JSON.stringify(meta.model)
  },"object":"chat.completion.chunk","choices":[{"index":0,"delta":`;
  const frame = (
    delta: Record<string, unknown>,
    finish: FinishReason | null = null,
    logprobs?: unknown,
  ) =>
    `${head}${JSON.stringify(delta)},"logprobs":${
      logprobs ? JSON.stringify(logprobs) : "null"
    },"finish_reason":${finish === null ? "null" : JSON.stringify(finish)}}]}\n\n`;
  // The role chunk rides with the first real one: one write less before the first token.
  let opening = frame({ role: "assistant", content: "" });
  const chunk = (
    delta: Record<string, unknown>,
    finish: FinishReason | null = null,
    logprobs?: unknown,
  ) => {
    const text = opening + frame(delta, finish, logprobs);
    opening = "";
    return text;
  };
  const announced = new Set<number>();
  const writer = {
    /** Whether the answer's last frames are written. */
    ended: false,
    /** The frames of `events`, one string ("" for none). */
    of(events: StreamEvent[]): string {
      let text = "";
      for (const event of events) {
        switch (event.type) {
          case "text":
            text += chunk({ content: event.text }, null, event.logprobs);
            break;
          case "tool_call_delta":
            announced.add(event.index);
            text += chunk({
              tool_calls: [{
                index: event.index,
                ...(event.id ? { id: event.id, type: "function" } : {}),
                function: {
                  ...(event.name ? { name: event.name } : {}),
                  arguments: event.arguments ?? "",
                },
              }],
            });
            break;
          case "tool_call":
            // Providers that do not stream arguments announce the whole call at once.
            if (!announced.has(event.index)) {
              text += chunk({
                tool_calls: [{
                  index: event.index,
                  id: event.call.id,
                  type: "function",
                  function: { name: event.call.name, arguments: event.call.arguments },
                }],
              });
            }
            break;
          case "finish":
            text += chunk({}, event.reason) + writer.last(event.usage);
            break;
        }
      }
      return text;
    },
    /** The answer's last frames: its usage where the client asked, and `[DONE]`. */
    last(usage: Usage | undefined): string {
      writer.ended = true;
      return (includeUsage
        ? sseFrame({
          ...meta,
          object: "chat.completion.chunk",
          choices: [],
          usage: openAiUsage(usage),
        })
        : "") + sseFrame("[DONE]");
    },
  };
  return writer;
}
