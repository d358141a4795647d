/**
 * @module What the HTTP providers share: a request with an idle timeout and the caller's abort
 * (over a kept HTTP/1.1 connection for plain-http upstreams, _http1.ts, and fetch for the rest),
 * upstream errors mapped to {@linkcode ProviderError}s, and SSE parsing (eventsource-parser).
 */

import { createParser, type EventSourceMessage } from "eventsource-parser";
import { unwatchIdle, watchIdle } from "./_idle_watch.ts";
import { statusError } from "./_http_status.ts";
import { ProviderError, UnreadableAnswerError, type UpstreamResponse } from "./types.ts";

import { DRAIN_CHUNKS, fetched } from "./_http_fetched.ts";

type Http1 = typeof import("./_http1_redirect.ts");
type Http1Request = import("./_http1.ts").Http1Request;
let http1: Http1 | null | undefined;
/**
 * The kept-connection client, loaded with the first plain-http upstream: its parser is
 * CommonJS, whose loader costs ~40-130 ms and ~12 MB once, which providers on https never need.
 * Null when it cannot load (a checkout whose node_modules predates the parser): fetch serves,
 * and the reason is printed once, as the parser is a declared dependency that should be there.
 */
async function loadHttp1(): Promise<Http1 | null> {
  if (http1 === undefined) {
    http1 = await import("./_http1_redirect.ts").catch((error) => {
      // Providers have no logger of their own; stderr is where the gateway's console log goes.
      console.warn(
        `pyclaw: kept HTTP/1.1 connections are off (plain-http providers use fetch): ${
          (error as Error)?.message ?? error
        }`,
      );
      return null;
    });
  }
  return http1;
}

/**
 * Unreadable answers: the upstream's fault, which the network's messages would misstate. A
 * SyntaxError is a body that is not the JSON it should be (fetch and the network throw
 * TypeErrors): "Cannot reach" would send the user looking at their network.
 */
const UNREADABLE = new Set(["UnreadableAnswerError", "HTTPParserError", "SyntaxError"]);

let proxyConfigured: boolean | undefined;
/** Whether fetch would send plain-http requests through a proxy (a kept connection would not). */
function proxied(): boolean {
  if (proxyConfigured === undefined) {
    try {
      proxyConfigured = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
        .some((name) => Deno.env.get(name));
    } catch {
      proxyConfigured = false;
    }
  }
  return proxyConfigured;
}

/** An upstream call in progress: its response, and its idle timeout to feed on every chunk. */
export interface UpstreamCall {
  response: UpstreamResponse;
  /** Counts as activity for the idle timeout; call whenever bytes arrive. */
  touch(): void;
  /** Stops the timer and detaches from the caller's signal. */
  done(): void;
  /** Turns whatever a read threw into a ProviderError (abort, timeout, network). */
  mapError(error: unknown): ProviderError;
}

/** Options of {@linkcode upstreamFetch}. */
export interface UpstreamOptions {
  provider: string;
  url: string;
  /**
   * A list of pairs built once per provider is the fastest form: fetch takes it as is, and a
   * kept connection writes its lines out once (a record is converted key by key every time).
   */
  headers: Record<string, string> | [string, string][];
  /** Sent as JSON. */
  body?: unknown;
  /** The body already serialised as JSON, sent as it is (in place of `body`). */
  rawBody?: string | Uint8Array<ArrayBuffer>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The model asked for, named in a model-not-found message. */
  model?: string;
  method?: "POST" | "GET";
}

/** Reads a whole JSON body, mapping a failed read to a ProviderError and ending the call. */
export async function readJson<T>(call: UpstreamCall): Promise<T> {
  try {
    return await call.response.json() as T;
  } catch (error) {
    throw call.mapError(error);
  } finally {
    call.done();
  }
}

/**
 * Sends the request and maps a failed status to a {@linkcode ProviderError}.
 *
 * @throws {ProviderError} for every failure: abort, timeout, unreachable host, error status
 */
export async function upstreamFetch(options: UpstreamOptions): Promise<UpstreamCall> {
  const controller = new AbortController();
  let timedOut = false;
  // Every streamed chunk counts; the shared idle timer (_idle_watch.ts) aborts a call that stays
  // quiet for timeoutMs.
  const watch = watchIdle(options.timeoutMs, () => {
    timedOut = true;
    controller.abort();
  });
  const touch = () => {
    watch.activity++;
  };
  const onAbort = () => controller.abort();
  // No `{ once: true }`: `done` removes the listener on every path, and converting an options
  // object cost each call as much as the rest of adding it (issue 17, `/v1` added time).
  options.signal?.addEventListener("abort", onAbort);
  const done = () => {
    unwatchIdle(watch);
    options.signal?.removeEventListener("abort", onAbort);
  };
  const mapError = (error: unknown): ProviderError => {
    if (error instanceof ProviderError) return error;
    if (options.signal?.aborted) {
      return new ProviderError("aborted", options.provider, "The request was aborted");
    }
    if (error instanceof UnreadableAnswerError || UNREADABLE.has((error as Error)?.name)) {
      return new ProviderError(
        "upstream",
        options.provider,
        `Provider ${options.provider} sent an answer that cannot be read: ${
          (error as Error).message
        }`,
        { cause: error },
      );
    }
    if (timedOut) {
      return new ProviderError(
        "timeout",
        options.provider,
        `Provider ${options.provider} did not answer within ${options.timeoutMs} ms`,
      );
    }
    return new ProviderError(
      "unreachable",
      options.provider,
      `Cannot reach provider ${options.provider} at ${origin(options.url)}: ${
        (error as Error)?.message ?? error
      }`,
      { cause: error },
    );
  };
  if (options.signal?.aborted) {
    done();
    throw mapError(new DOMException("aborted", "AbortError"));
  }
  let response: UpstreamResponse;
  try {
    const method = options.method ?? "POST";
    const body = options.rawBody ??
      (options.body === undefined ? undefined : JSON.stringify(options.body));
    const url = urlOf(options.url);
    const kept = url?.protocol === "http:" && !proxied()
      ? http1 === undefined ? await loadHttp1() : http1
      : null;
    response = url && kept
      ? await kept.http1Fetch({
        method,
        url,
        headers: Array.isArray(options.headers) ? options.headers : pairsOf(options.headers),
        body,
        signal: controller.signal,
        drainChunks: DRAIN_CHUNKS,
      }, redirectedViaFetch)
      : fetched(
        await fetch(options.url, {
          method,
          headers: options.headers,
          body,
          signal: controller.signal,
        }),
      );
  } catch (error) {
    done();
    throw mapError(error);
  }
  if (!response.ok) {
    let text = "";
    try {
      text = await response.text();
    } catch { /* the status says enough */ }
    done();
    throw statusError(options.provider, response, text, options.model);
  }
  return { response, touch, done, mapError };
}

/** A hop of a redirect to https, which fetch takes (one closure for all calls, not one a call). */
const redirectedViaFetch = async (next: Http1Request): Promise<UpstreamResponse> =>
  fetched(
    await fetch(next.url, {
      method: next.method,
      headers: next.headers as [string, string][],
      body: next.body as BodyInit | undefined,
      signal: next.signal,
      redirect: "manual",
    }),
  );

const urls = new Map<string, URL>();
/** The parsed URL, kept per string (a provider sends every request to the same few). */
function urlOf(text: string): URL | undefined {
  let url = urls.get(text);
  if (!url) {
    try {
      url = new URL(text);
    } catch {
      return undefined; // fetch reports it
    }
    if (urls.size > 256) urls.clear();
    urls.set(text, url);
  }
  return url;
}

const pairs = new WeakMap<Record<string, string>, [string, string][]>();
function pairsOf(headers: Record<string, string>): [string, string][] {
  let list = pairs.get(headers);
  if (!list) pairs.set(headers, list = Object.entries(headers));
  return list;
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * Reads an SSE body and yields the events of each read together (never none), feeding the idle
 * timeout as bytes arrive: a consumer that handles a read's events at once writes them on
 * together (issue 17, first streamed chunk).
 * Cancels the body (closing the upstream connection) when the consumer stops early; a consumer
 * that stops after the event `last` says is the stream's last one (OpenAI's `[DONE]`; the
 * events after it are dropped) leaves the connection for the next request instead, its idle
 * timeout watching the rest of the body.
 */
export async function* sseReads(
  call: UpstreamCall,
  last?: (event: EventSourceMessage) => boolean,
): AsyncGenerator<EventSourceMessage[]> {
  const body = call.response;
  let events: EventSourceMessage[] = [];
  let complete = false;
  const parser = createParser({
    onEvent: (event) => {
      if (complete) return;
      events.push(event);
      if (last?.(event)) complete = true;
    },
  });
  // Decoding inline spares a transform stream (and its promise hops) per chunk.
  const decoder = new TextDecoder();
  let finished = false;
  try {
    while (!complete) {
      let chunk: Uint8Array | undefined;
      try {
        chunk = await body.read();
      } catch (error) {
        throw call.mapError(error);
      }
      if (!chunk) {
        finished = true;
        break;
      }
      call.touch();
      parser.feed(decoder.decode(chunk, { stream: true }));
      if (events.length) {
        const read = events;
        events = [];
        yield read;
      }
    }
  } finally {
    if (finished) call.done();
    else if (complete) body.release().then(call.done);
    else {
      call.done();
      await body.cancel();
    }
  }
}

/** Joins a base URL and a path without doubling slashes. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, "") + "/" + path.replace(/^\/+/, "");
}
