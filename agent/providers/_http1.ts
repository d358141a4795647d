/**
 * @module A keep-alive HTTP/1.1 client for providers on plain `http:` (a model server on this
 * machine or the LAN: llama.cpp's server, vLLM, Ollama, a local proxy). `fetch` costs a `/v1`
 * request through the gateway about 0.2 ms of its time against an upstream on loopback (its
 * Request, Headers and body-stream objects, and hyper's pooled connection task hopping between
 * tasks), more than the rest of the gateway's work; a connection kept here writes the request in
 * one write and reads the answer as it comes (issue 17; docs/benchmarks.md has the figures).
 * Responses are parsed by `bare-http-parser` (framing, chunked bodies, smuggling checks); this
 * module only keeps the connections.
 *
 * A kept connection has a read pending while it waits, so a server that closes it is seen at
 * once and it is not used again; a reused connection that fails before any byte of the answer
 * is retried once, on a new connection, as browsers do (the server most likely never saw the
 * request; a server that read it and closed without answering sees it twice, as with fetch).
 * What fetch adds is added here too: `authorization` from credentials in the URL, `accept` and
 * `user-agent`, and gzip, deflate or brotli answers decoded. Redirects are followed by _http1_redirect.ts.
 */

import { Buffer } from "node:buffer";
import HTTPParser from "bare-http-parser";
import { UnreadableAnswerError, type UpstreamResponse } from "./types.ts";
import { VERSION } from "../../core/version.ts";

/** A request of {@linkcode http1Request}. */
export interface Http1Request {
  method: "GET" | "POST";
  /** An `http:` URL. */
  url: URL;
  /** Built once per provider and reused: checked and written out once per array. */
  headers: readonly (readonly [string, string])[];
  /** Text is sent UTF-8 encoded; bytes as they are. */
  body?: string | Uint8Array;
  /** Aborting closes the connection: the upstream sees its client go. */
  signal?: AbortSignal;
  /** Chunks {@linkcode UpstreamResponse.release} reads before it gives the connection up. */
  drainChunks?: number;
}

// bare-http-parser's message kinds.
const RESPONSE = 2;
const DATA = 3;
const END = 4;

interface ParserOp {
  type: number;
  code?: number;
  headers?: Record<string, string | string[]>;
  data?: Uint8Array;
}

interface Parser {
  push(data: Uint8Array): Iterable<ParserOp>;
  end(): Iterable<ParserOp>;
}

const ParserClass = HTTPParser as unknown as new (options?: object) => Parser;
/**
 * Header bytes an answer may have: the parser's default (16 KiB) refused answers fetch reads
 * (hyper allows ~400 KB); a proxy's long cookies or a debug header can pass 16 KiB.
 */
const PARSER_OPTIONS = { maxHeaderSize: 256 * 1024 };

/** Content codings DecompressionStream decodes, by their HTTP names. */
const DECODERS: Record<string, CompressionFormat> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
  // Deno's DecompressionStream names brotli "brotli" (not in the standard's list).
  br: "brotli" as CompressionFormat,
};

/** Idle connections kept per origin; more are closed when they come back. */
const MAX_IDLE = 16;
/**
 * Each connection's read buffer: a streamed token is tens of bytes and a whole answer a few KB,
 * so 16 KiB reads most in one; a hundred concurrent streams hold 1.6 MB, not 6.4.
 */
const READ_BYTES = 16 * 1024;
const encoder = new TextEncoder();

/** One kept connection and the answer it is reading. */
class Connection {
  readonly #conn: Deno.TcpConn;
  readonly #pool: Connection[];
  readonly #buffer = new Uint8Array(READ_BYTES);
  #parser = new ParserClass(PARSER_OPTIONS);
  #ops: ParserOp[] = [];
  #pending: Promise<number | null> | undefined;
  #idle = false;
  #open = true;
  /** The connection can carry no further request. */
  ended = false;
  /** Whether this connection answered a request before (a failure may be a stale connection). */
  reused = false;
  /** Bytes of the current answer seen. */
  received = 0;

  constructor(conn: Deno.TcpConn, pool: Connection[]) {
    this.#conn = conn;
    this.#pool = pool;
  }

  async write(bytes: Uint8Array): Promise<void> {
    this.#conn.ref();
    for (let at = 0; at < bytes.length;) at += await this.#conn.write(bytes.subarray(at));
  }

  /** The next parser message, reading as needed; undefined when the server closed first. */
  async next(): Promise<ParserOp | undefined> {
    while (this.#ops.length === 0) {
      const read = this.#pending ?? this.#conn.read(this.#buffer);
      this.#pending = undefined;
      const count = await read;
      if (count === null) {
        for (const op of this.#parser.end()) this.#ops.push(op);
        if (this.#ops.length === 0) return undefined;
        this.ended = true; // the answer ran to the connection's end
        break;
      }
      this.received += count;
      // The parser keeps slices of what it is given: each read gets bytes of its own.
      const bytes = this.#buffer.slice(0, count);
      for (const op of this.#parser.push(Buffer.from(bytes.buffer, 0, count))) this.#ops.push(op);
    }
    return this.#ops.shift();
  }

  /** Back to the pool once an answer has ended, with a read pending to see the server close. */
  release(): void {
    if (this.ended || this.#ops.length || this.#pool.length >= MAX_IDLE) return this.close();
    this.reused = true;
    this.received = 0;
    this.#idle = true;
    this.#conn.unref();
    const pending = this.#conn.read(this.#buffer);
    this.#pending = pending;
    pending.then(
      () => {
        // Anything while idle (an end, or bytes no request asked for) makes it unusable.
        if (this.#idle && this.#pending === pending) this.#drop();
      },
      () => {
        if (this.#idle && this.#pending === pending) this.#drop();
      },
    );
    this.#pool.push(this);
  }

  /** Takes the connection from the pool for a request. */
  take(): void {
    this.#idle = false;
  }

  #drop(): void {
    const at = this.#pool.indexOf(this);
    if (at >= 0) this.#pool.splice(at, 1);
    this.close();
  }

  /** Closes the connection (again is fine); a read pending on it fails. */
  close(): void {
    this.#idle = false;
    this.ended = true;
    this.#pending?.catch(() => {});
    this.#pending = undefined;
    if (!this.#open) return;
    this.#open = false;
    try {
      this.#conn.close();
    } catch { /* closed by the other side's reset */ }
  }
}

const pools = new Map<string, Connection[]>();
const heads = new WeakMap<object, string>();

/** The header lines of `headers`, checked as fetch checks them. @throws {TypeError} */
function headerLines(headers: Http1Request["headers"]): string {
  let lines = heads.get(headers);
  if (lines !== undefined) return lines;
  lines = "";
  for (const [name, value] of headers) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name) || /[\r\n\0]/.test(value)) {
      throw new TypeError(`Invalid header: ${JSON.stringify(name)}`);
    }
    const lower = name.toLowerCase();
    if (lower === "host" || lower === "content-length" || lower === "connection") continue;
    lines += `${name}: ${value.trim()}\r\n`;
  }
  // What fetch sends when the caller does not: a proxy or server may refuse a request without.
  const has = (wanted: string) => headers.some(([name]) => name.toLowerCase() === wanted);
  if (!has("accept")) lines += "accept: */*\r\n";
  if (!has("accept-language")) lines += "accept-language: *\r\n";
  if (!has("user-agent")) lines += `user-agent: pyclaw/${VERSION}\r\n`;
  heads.set(headers, lines);
  return lines;
}

/**
 * The `authorization` line fetch makes of credentials in the URL (`http://user:pw@host/`),
 * percent-decoded, unless the provider sets its own.
 */
function credentials(url: URL, headers: Http1Request["headers"]): string {
  if (!url.username && !url.password) return "";
  if (headers.some(([name]) => name.toLowerCase() === "authorization")) return "";
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `authorization: Basic ${btoa(String.fromCharCode(...encoder.encode(pair)))}\r\n`;
}

/** A new connection; an abort gives up the connect (an unanswering host takes minutes). */
async function connect(url: URL, pool: Connection[], signal?: AbortSignal): Promise<Connection> {
  const connecting = Deno.connect({
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: Number(url.port || 80),
  });
  const conn = signal
    ? await new Promise<Deno.TcpConn>((resolve, reject) => {
      const onAbort = () => {
        reject(signal.reason);
        connecting.then((late) => late.close(), () => {});
      };
      signal.addEventListener("abort", onAbort, { once: true });
      connecting.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    })
    : await connecting;
  // One write per request; the answer's first bytes must not wait for an ACK either.
  conn.setNoDelay(true);
  return new Connection(conn, pool);
}

/**
 * Sends one request over a kept connection (or a new one) and returns once the status and
 * headers have arrived.
 *
 * @throws {TypeError} for a bad header; whatever the connection threw (closed, reset, aborted)
 */
export async function http1Request(request: Http1Request): Promise<UpstreamResponse> {
  const { url, signal } = request;
  const key = url.host;
  let pool = pools.get(key);
  if (!pool) pools.set(key, pool = []);
  const body = typeof request.body === "string" ? encoder.encode(request.body) : request.body;
  const head = encoder.encode(
    `${request.method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n${
      headerLines(request.headers)
    }${credentials(url, request.headers)}${body ? `content-length: ${body.length}\r\n` : ""}\r\n`,
  );
  const bytes = body ? new Uint8Array(head.length + body.length) : head;
  if (body) {
    bytes.set(head);
    bytes.set(body, head.length);
  }
  signal?.throwIfAborted();
  for (let retried = false;;) {
    // A retry takes a new connection: the next idle one may be as stale as the last.
    const connection = (retried ? undefined : pool.pop()) ?? await connect(url, pool, signal);
    connection.take();
    const onAbort = () => connection.close();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await connection.write(bytes);
      let op = await connection.next();
      // Informational answers (100 Continue) precede the real one.
      while (op?.type === RESPONSE && op.code! < 200) {
        while (op && op.type !== END) op = await connection.next();
        op = await connection.next();
      }
      if (!op || op.type !== RESPONSE) throw new Deno.errors.ConnectionReset("Connection closed");
      return response(
        connection,
        op,
        () => signal?.removeEventListener("abort", onAbort),
        request.drainChunks ?? 4,
      );
    } catch (error) {
      signal?.removeEventListener("abort", onAbort);
      const stale = !retried && connection.reused && connection.received === 0 &&
        !signal?.aborted;
      connection.close();
      // The server closed a kept connection as the request went out: it most likely never saw
      // the request. The idle ones it kept beside it are suspect too (a restarted server).
      if (stale) {
        retried = true;
        for (const idle of pool.splice(0)) idle.close();
        continue;
      }
      throw signal?.aborted ? signal.reason : error;
    }
  }
}

function response(
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
    if (op?.type === DATA) return op.data;
    if (op?.type === END) {
      end();
      return undefined;
    }
    ended = true;
    finish();
    connection.close();
    throw new Deno.errors.UnexpectedEof("The connection closed before the body ended");
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
  const text = async () => {
    let out = "";
    const stream = new TextDecoder();
    for (let chunk = await read(); chunk; chunk = await read()) {
      out += stream.decode(chunk, { stream: true });
    }
    return out + stream.decode();
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
    text,
    json: async () => JSON.parse(await text()),
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
