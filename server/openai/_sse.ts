/** @module Server-sent events out: a pull-driven stream, so nothing is buffered ahead of the client. */

const encoder = new TextEncoder();

/** One SSE frame; `event` names it (the Responses API), `data` is JSON or `[DONE]`. */
export function sseFrame(data: unknown, event?: string): string {
  const text = typeof data === "string" ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ""}data: ${text}\n\n`;
}

/**
 * A `text/event-stream` response fed by `frames`; each frame is written when the client can
 * take it, and a client that goes away stops the generator (closing the upstream request).
 */
export function sseResponse(frames: AsyncGenerator<string>): Response {
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await frames.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch {
        // The generator reports failures in-band; anything left is a dropped client.
        controller.close();
      }
    },
    async cancel() {
      await frames.return(undefined);
    },
  }, { highWaterMark: 0 });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    },
  });
}
