/**
 * @module A fetched answer as an {@linkcode UpstreamResponse} (the same shape a kept connection's
 * answer has, _http1_response.ts): its body read into one buffer per stream, and a short rest
 * drained so fetch keeps the connection. Apart from _http.ts's request and error mapping, as
 * reading a body is a concern of its own.
 */

import type { UpstreamResponse } from "./types.ts";

/** Chunks read after an answer's last event before its connection is given up instead. */
export const DRAIN_CHUNKS = 4;

/** A fetched response as an {@linkcode UpstreamResponse}. */
export function fetched(response: Response): UpstreamResponse {
  let reader: ReturnType<typeof byteReader> | undefined;
  const body = () => reader ??= response.body ? byteReader(response.body) : undefined;
  return {
    status: response.status,
    ok: response.ok,
    headers: response.headers,
    read: () => body()?.read() ?? Promise.resolve(undefined),
    text: () => response.text(),
    json: () => response.json(),
    cancel: () =>
      reader ? reader.cancel() : response.body?.cancel().catch(() => {}) ?? Promise.resolve(),
    async release() {
      const chunks = body();
      try {
        for (let left = DRAIN_CHUNKS; left > 0; left--) {
          if (!chunks || await chunks.read() === undefined) return;
        }
      } catch { /* cancelled below */ }
      await chunks?.cancel();
    },
  };
}

/** Bytes read into one buffer per stream, reused for every read. */
const READ_BUFFER_BYTES = 16 * 1024;

/**
 * Reads a body chunk by chunk. A fetched body is a byte stream, read here into one buffer kept
 * for the whole stream: its default reader allocates a fresh 64 KiB buffer for every read, which
 * for a streamed answer (a read per token) was most of the proxy's garbage (issue 17). Chunks
 * are valid until the next read. Other streams are read as they come.
 */
function byteReader(body: ReadableStream<Uint8Array>) {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch { /* not a byte stream */ }
  if (!byob) {
    const reader = body.getReader();
    return {
      read: async (): Promise<Uint8Array | undefined> => {
        const { value, done } = await reader.read();
        return done ? undefined : value;
      },
      cancel: () => reader.cancel().catch(() => {}),
    };
  }
  const reader = byob;
  let buffer = new ArrayBuffer(READ_BUFFER_BYTES);
  return {
    async read(): Promise<Uint8Array | undefined> {
      const { value, done } = await reader.read(new Uint8Array(buffer));
      if (value) buffer = value.buffer as ArrayBuffer;
      return done ? undefined : value;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}
