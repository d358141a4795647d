/**
 * @module A kept HTTP/1.1 connection (_http1.ts's transport): the socket, its read buffer and
 * `bare-http-parser`, and the pool it goes back to between requests with a read pending to see
 * the server close it. Apart from _http1.ts's request writing and _http1_response.ts's body
 * reading, as a connection's life (reuse, staleness, closing) is one concern of its own.
 */

import { Buffer } from "node:buffer";
import HTTPParser from "bare-http-parser";

// bare-http-parser's message kinds.
export const RESPONSE = 2;
export const DATA = 3;
export const END = 4;

export interface ParserOp {
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

/** Idle connections kept per origin; more are closed when they come back. */
const MAX_IDLE = 16;
/**
 * Each connection's read buffer: a streamed token is tens of bytes and a whole answer a few KB,
 * so 16 KiB reads most in one; a hundred concurrent streams hold 1.6 MB, not 6.4.
 */
const READ_BYTES = 16 * 1024;

/**
 * Idle connections by origin (`host:port`). An origin's entry goes with its last connection, so
 * a gateway that talked to many origins over months keeps nothing of those it no longer uses.
 */
const pools = new Map<string, Connection[]>();

/** An idle connection to `origin` (`host:port`), taken from its pool. */
export function takeIdle(origin: string): Connection | undefined {
  return pools.get(origin)?.pop();
}

/** Closes every idle connection to `origin` (a server that restarted dropped them all). */
export function closeIdle(origin: string): void {
  const pool = pools.get(origin);
  pools.delete(origin);
  for (const connection of pool ?? []) connection.close();
}

/** The origins that have idle connections kept. */
export function pooledOrigins(): string[] {
  return [...pools.keys()];
}

/** One kept connection and the answer it is reading. */
export class Connection {
  readonly #conn: Deno.TcpConn;
  readonly #origin: string;
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

  constructor(conn: Deno.TcpConn, origin: string) {
    this.#conn = conn;
    this.#origin = origin;
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

  /** Body bytes the last read brought that are parsed and waiting: no read, no wait. */
  readyData(): Uint8Array | undefined {
    if (this.#ops[0]?.type !== DATA) return undefined;
    return this.#ops.shift()!.data;
  }

  /**
   * The next parser message of any kind (body bytes, the end) if one is parsed already: no read;
   * undefined when none is. {@linkcode readyData} takes body bytes only.
   */
  takeParsed(): ParserOp | undefined {
    return this.#ops.shift();
  }

  /** Back to the pool once an answer has ended, with a read pending to see the server close. */
  release(): void {
    if (this.ended || this.#ops.length) return this.close();
    let pool = pools.get(this.#origin);
    if (pool && pool.length >= MAX_IDLE) return this.close();
    this.reused = true;
    this.received = 0;
    this.#idle = true;
    this.#conn.unref();
    const pending = this.#conn.read(this.#buffer);
    this.#pending = pending;
    pending.then(
      () => {
        // Anything while idle (an end, or bytes no request asked for) makes it unusable.
        if (this.#idle && this.#pending === pending) this.close();
      },
      () => {
        if (this.#idle && this.#pending === pending) this.close();
      },
    );
    if (!pool) pools.set(this.#origin, pool = []);
    pool.push(this);
  }

  /** Takes the connection from the pool for a request. */
  take(): void {
    this.#idle = false;
  }

  /**
   * Closes the connection (again is fine); a read pending on it fails. It leaves its pool, and
   * the pool's entry goes once empty (one taken for a request left it so until now).
   */
  close(): void {
    const pool = pools.get(this.#origin);
    if (pool) {
      const at = pool.indexOf(this);
      if (at >= 0) pool.splice(at, 1);
      if (pool.length === 0) pools.delete(this.#origin);
    }
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

/** A new connection; an abort gives up the connect (an unanswering host takes minutes). */
export async function connect(url: URL, signal?: AbortSignal): Promise<Connection> {
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
  return new Connection(conn, url.host);
}
