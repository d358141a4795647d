/**
 * @module The answer read from a kept connection (_http1.ts) as an {@linkcode UpstreamResponse}:
 * its body chunk by chunk, decoded as fetch decodes gzip, deflate or brotli, and the connection
 * given back to its pool (or closed) when the body ends. Apart from the connection itself
 * (_http1_connection.ts), as what a body may be is a concern of its own.
 */

import { concatBytes } from "../../core/bytes.ts";
import { UnreadableAnswerError, type UpstreamResponse } from "./types.ts";
import { type Connection, DATA, END, type ParserOp } from "./_http1_connection.ts";

/** Content codings DecompressionStream decodes, by their HTTP names. */
const DECODERS: Record<string, CompressionFormat> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  // Deno's DecompressionStream names brotli "brotli" (not in the standard's list).
  br: "brotli" as CompressionFormat,
};

/** Decodes whole bodies that came in one chunk; a call with no `stream` option keeps no state. */
const wholeChunk = new TextDecoder();

/** What `body` returns, as a promise; what it throws, as a rejection. */
function settled<T>(body: () => T | Promise<T>): Promise<T> {
  try {
    return Promise.resolve(body());
  } catch (error) {
    return Promise.reject(error);
  }
}

export function response(
  connection: Connection,
  head: ParserOp,
  finish: () => void,
  drainChunks: number,
): UpstreamResponse {
  const headers = head.headers!;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    finish();
    const close = headers["connection"];
    if (typeof close === "string" && /\bclose\b/i.test(close)) connection.close();
    else connection.release();
  };
  /** After the body's last bytes: its end (`END`), or a connection that closed first (thrown). */
  const bodyEnd = (op: ParserOp | undefined) => {
    if (op?.type === END) return end();
    ended = true;
    finish();
    connection.close();
    throw new Deno.errors.UnexpectedEof("The connection closed before the body ended");
  };
  const rawRead = async (): Promise<Uint8Array | undefined> => {
    if (ended) return undefined;
    let op: ParserOp | undefined;
    try {
      op = await connection.next();
    } catch (error) {
      ended = true;
      finish();
      connection.close();
      throw error;
    }
    if (op?.type === DATA) return withReadyData(connection, op.data!);
    bodyEnd(op);
    return undefined;
  };
  const status = head.code!;
  const encoding = headers["content-encoding"];
  let read = rawRead;
  const bodyless = status === 204 || status === 304;
  if (typeof encoding === "string" && !bodyless && !/^\s*(identity)?\s*$/i.test(encoding)) {
    const format = DECODERS[encoding.trim().toLowerCase()];
    if (!format) {
      // No accept-encoding is sent: a server that compresses anyway, in a coding (or a chain of
      // codings) fetch would not decode either, is refused plainly.
      connection.close();
      finish();
      throw new UnreadableAnswerError(`Unsupported content-encoding ${encoding}`);
    }
    // Decoded as fetch decodes it, chunk by chunk, so a compressed event stream still streams.
    const decoded = new ReadableStream<BufferSource>({
      async pull(controller) {
        const chunk = await rawRead();
        if (chunk) controller.enqueue(chunk as Uint8Array<ArrayBuffer>);
        else controller.close();
      },
    }, { highWaterMark: 0 }).pipeThrough(new DecompressionStream(format)).getReader();
    read = async () => {
      try {
        const { value, done } = await decoded.read();
        return done ? undefined : value;
      } catch (error) {
        // A body that does not decode errors the decoder, not the connection: close it here,
        // or it stays open (and keeps the process alive) with the rest of the body unread.
        if (!ended) {
          ended = true;
          finish();
          connection.close();
        }
        if (error instanceof Error && error.name !== "TypeError") throw error;
        throw new UnreadableAnswerError(
          `Cannot decode its ${encoding} body: ${error instanceof Error ? error.message : error}`,
        );
      }
    };
  }
  /**
   * A chunk parsed already, with no read and no promise; null at the body's end, undefined when
   * a read is needed. A small answer's body and end are parsed with its head, from one read:
   * taking them here spared a whole answer's read three promise hops a chunk (issue 17).
   */
  const parsedChunk = (): Uint8Array | null | undefined => {
    if (ended) return null;
    const op = connection.takeParsed();
    if (op === undefined || op.type === DATA) return op?.data;
    bodyEnd(op);
    return null;
  };
  /** The rest of the body as text, the chunks `taken` already at its start. */
  const readText = async (taken: Uint8Array[]) => {
    const stream = new TextDecoder();
    let out = "";
    for (const chunk of taken) out += stream.decode(chunk, { stream: true });
    // A decoded body is read through its decoder, chunk by chunk.
    const parsed = read === rawRead ? parsedChunk : () => undefined;
    for (let chunk = parsed();; chunk = parsed()) {
      if (chunk === undefined) chunk = (await read()) ?? null;
      if (chunk === null) break;
      out += stream.decode(chunk, { stream: true });
    }
    return out + stream.decode();
  };
  /**
   * The body as text. A small answer's whole body came with its head (one chunk, then its end):
   * it is decoded at once by the module's one decoder (a whole chunk leaves it no state), with no
   * decoder made and no async layer (issue 17, `/v1` added time); the rest are read on.
   *
   * @throws {Deno.errors.UnexpectedEof} (synchronously) for a body cut short before it ended
   */
  const textNow = (): string | Promise<string> => {
    if (read !== rawRead) return readText([]);
    const first = parsedChunk();
    if (first === null) return "";
    if (first === undefined) return readText([]);
    const next = parsedChunk();
    if (next === null) return wholeChunk.decode(first);
    return readText(next === undefined ? [first] : [first, next]);
  };
  return {
    status,
    ok: status >= 200 && status < 300,
    headers: {
      get(name: string) {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    read,
    text: () => settled(textNow),
    json: () =>
      settled(() => {
        const body = textNow();
        return typeof body === "string"
          ? JSON.parse(body)
          : body.then((whole) => JSON.parse(whole));
      }),
    cancel() {
      if (!ended) {
        ended = true;
        finish();
        connection.close();
      }
      return Promise.resolve();
    },
    async release() {
      try {
        // A few chunks at most: a server that goes on sending is cut off.
        for (let left = drainChunks; left > 0 && !ended; left--) await read();
      } catch { /* the connection is closed */ }
      if (!ended) await this.cancel();
    },
  };
}

/**
 * `first` and the rest of the body data its read brought, as one chunk: a server that writes an
 * event per HTTP chunk sends many in one packet, and a reader of the body handles one read's
 * events at once (an SSE answer's frames are written on together: issue 17, first chunk).
 */
function withReadyData(connection: Connection, first: Uint8Array): Uint8Array {
  let next = connection.readyData();
  if (!next) return first;
  const parts = [first];
  for (; next; next = connection.readyData()) parts.push(next);
  return concatBytes(parts);
}
