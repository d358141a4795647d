/** @module Server-sent events out: a pull-driven stream, so nothing is buffered ahead of the client. */

import { streamedAnswer } from "../client_signal.ts";

const encoder = new TextEncoder();

/** One SSE frame; `event` names it (the Responses API), `data` is JSON or `[DONE]`. */
export function sseFrame(data: unknown, event?: string): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ""}data: ${text}\n\n`;
}

/**
 * Microtask turns a frame may take to come out of the generators once its input is at hand
 * (the provider's parser, the translation, the usage look): well above the ~15 they take.
 * No I/O completes within microtasks, so a frame not out by then waits for the upstream.
 */
const READY_TURNS = 64;
/** The most text written at once. */
const MAX_WRITE = 64 * 1024;

/** Whether `pending` settles within {@linkcode READY_TURNS} microtask turns. */
async function settlesAtOnce(pending: Promise<unknown>): Promise<boolean> {
  let settled = false;
  const mark = () => (settled = true);
  pending.then(mark, mark);
  for (let turn = 0; turn < READY_TURNS && !settled; turn++) await null;
  return settled;
}

/**
 * A `text/event-stream` response fed by `frames`; frames are written when the client can take
 * them, and a client that goes away stops the generator (closing the upstream request).
 *
 * The frames that are ready together (an upstream read holds several events as a rule: a
 * model's tokens come faster than the gateway writes them) go out in one write: a write per
 * frame cost each a syscall and a wake-up of the client (issue 17, first chunk and CPU per
 * streamed request). The routes yield a read's frames as one string where the source has reads
 * (an OpenAI-wire provider); this joins what comes one event at a time (agents, the other wire
 * APIs). One frame beyond a write may be asked for ahead; it is sent with the next.
 * The first frame goes out alone, at once: the time to the first token is what a client sees.
 */
export function sseResponse(frames: AsyncGenerator<string>): Response {
  let ahead: Promise<IteratorResult<string>> | undefined;
  let first = true;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let text = "";
      try {
        let next = ahead ?? frames.next();
        ahead = undefined;
        for (;;) {
          const result = await next;
          if (result.done) {
            if (text) controller.enqueue(encoder.encode(text));
            controller.close();
            return;
          }
          text += result.value;
          if (first || text.length >= MAX_WRITE) break;
          next = frames.next();
          if (!await settlesAtOnce(next)) {
            ahead = next;
            break;
          }
        }
        first = false;
        controller.enqueue(encoder.encode(text));
      } catch {
        // The generator reports failures in-band; anything left is a dropped client.
        controller.close();
      }
    },
    async cancel() {
      ahead?.catch(() => {});
      await frames.return(undefined);
    },
  }, { highWaterMark: 0 });
  return streamedAnswer(
    new Response(stream, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache",
        "x-accel-buffering": "no",
      },
    }),
  );
}
