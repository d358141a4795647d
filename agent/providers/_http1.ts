/**
 * @module A keep-alive HTTP/1.1 client for providers on plain `http:` (a model server on this
 * machine or the LAN: llama.cpp's server, vLLM, Ollama, a local proxy). `fetch` costs a `/v1`
 * request through the gateway about 0.2 ms of its time against an upstream on loopback (its
 * Request, Headers and body-stream objects, and hyper's pooled connection task hopping between
 * tasks), more than the rest of the gateway's work; a connection kept here writes the request in
 * one write and reads the answer as it comes (issue 17; docs/benchmarks.md has the figures).
 * Responses are parsed by `bare-http-parser` (framing, chunked bodies, smuggling checks); these
 * modules only keep the connections: this one writes a request and reads its answer's head,
 * _http1_connection.ts keeps the connections and their pools, _http1_response.ts reads bodies.
 *
 * A kept connection has a read pending while it waits, so a server that closes it is seen at
 * once and it is not used again; a reused connection that fails before any byte of the answer
 * is retried once, on a new connection, as browsers do (the server most likely never saw the
 * request; a server that read it and closed without answering sees it twice, as with fetch).
 * What fetch adds is added here too: `authorization` from credentials in the URL, `accept` and
 * `user-agent`, and gzip, deflate or brotli answers decoded. Redirects are followed by
 * _http1_redirect.ts.
 */

import type { UpstreamResponse } from "./types.ts";
import { VERSION } from "../../core/version.ts";
import { closeIdle, connect, END, RESPONSE, takeIdle } from "./_http1_connection.ts";
import { response } from "./_http1_response.ts";

export { pooledOrigins } from "./_http1_connection.ts";

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

const encoder = new TextEncoder();

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

/** Heads by header list, then by method and URL: a provider sends the same few. */
const headStarts = new WeakMap<Http1Request["headers"], Map<string, Uint8Array>>();
/** Per header list: a provider's redirect targets are few, and a list that sees more starts over. */
const MAX_HEAD_STARTS = 16;

/**
 * A request's head up to its length line (its request line, host, header lines and URL
 * credentials), encoded once per method, URL and header list: building and encoding the same
 * ~200 bytes again cost every request a string, an encoding and a copy (issue 17).
 *
 * @throws {TypeError} for a bad header
 */
function headStart(method: string, url: URL, headers: Http1Request["headers"]): Uint8Array {
  let starts = headStarts.get(headers);
  const key = `${method} ${url.href}`;
  let head = starts?.get(key);
  if (head !== undefined) return head;
  head = encoder.encode(
    `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\n${
      headerLines(headers)
    }${credentials(url, headers)}`,
  );
  if (!starts || starts.size >= MAX_HEAD_STARTS) headStarts.set(headers, starts = new Map());
  starts.set(key, head);
  return head;
}

/**
 * Sends one request over a kept connection (or a new one) and returns once the status and
 * headers have arrived.
 *
 * @throws {TypeError} for a bad header; whatever the connection threw (closed, reset, aborted)
 */
export async function http1Request(request: Http1Request): Promise<UpstreamResponse> {
  const { url, signal } = request;
  const origin = url.host;
  const body = typeof request.body === "string" ? encoder.encode(request.body) : request.body;
  const head = headStart(request.method, url, request.headers);
  // The rest of the head is ASCII: written in place, not built and encoded.
  const tail = body ? `content-length: ${body.length}\r\n\r\n` : "\r\n";
  const bytes = new Uint8Array(head.length + tail.length + (body ? body.length : 0));
  bytes.set(head);
  let at = head.length;
  for (let i = 0; i < tail.length; i++) bytes[at++] = tail.charCodeAt(i);
  if (body) bytes.set(body, at);
  signal?.throwIfAborted();
  for (let retried = false;;) {
    // A retry takes a new connection: the next idle one may be as stale as the last.
    const connection = (retried ? undefined : takeIdle(origin)) ?? await connect(url, signal);
    connection.take();
    // Closing again is harmless, and every path removes the listener: no `{ once: true }`, whose
    // options object is converted on every request (issue 17).
    const onAbort = () => connection.close();
    signal?.addEventListener("abort", onAbort);
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
        closeIdle(origin);
        continue;
      }
      throw signal?.aborted ? signal.reason : error;
    }
  }
}
