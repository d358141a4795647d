/**
 * @module What the stand-in model providers (fake_openai.ts, fake_anthropic.ts) share: the
 * scripted reply a test queues, the record of each request, and the small server around them.
 *
 * @example
 * ```ts
 * await using upstream = await startFakeOpenAI({ models: ["gpt-test"] });
 * upstream.reply({ toolCalls: [{ name: "echo", arguments: { text: "hi" } }] }, { text: "Done" });
 * // … point models.providers.x.baseUrl at upstream.url and chat …
 * assertEquals(upstream.requests.length, 2);
 * ```
 */

/** A tool call the stand-in model makes. */
export interface ScriptedToolCall {
  name: string;
  /** An object (sent as JSON) or raw argument text. */
  arguments: unknown;
  /** @default "call_<n>" / "toolu_<n>" */
  id?: string;
}

/** One scripted answer. */
export interface ScriptedReply {
  /** The answer's text; streamed as `chunks` when given, else word by word. */
  text?: string;
  chunks?: string[];
  toolCalls?: ScriptedToolCall[];
  /** @default { prompt: 10, completion: number of chunks } */
  usage?: { prompt: number; completion: number };
  /** @default "stop", or the tool-call reason when `toolCalls` is set */
  finishReason?: string;
  /** Delay before the response starts, in ms. */
  delayMs?: number;
  /** Delay before each streamed chunk, in ms (a slow stream for abort tests). */
  chunkDelayMs?: number;
  /** Answer with an HTTP error instead of a reply. */
  error?: {
    status: number;
    message?: string;
    type?: string;
    code?: string;
    /** Seconds, sent as the `retry-after` header. */
    retryAfter?: number;
  };
  /** End the stream after this many chunks, without finishing (a broken upstream). */
  breakAfter?: number;
  /**
   * Send this many chunks, then nothing more until `release` resolves (or, without `release`,
   * until the client goes away or the stand-in closes): a test that acts on a partial answer
   * (abort it, look at it while it streams) then has all the time it needs, however slow the
   * machine, where a chunk delay only gave it a window.
   */
  holdAfter?: number;
  /** Ends a `holdAfter` hold. */
  release?: Promise<unknown>;
}

/** A reply, or a function that builds one from the request. */
export type ReplyScript = ScriptedReply | ((request: RecordedRequest) => ScriptedReply);

/** A request the stand-in received. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: Headers;
  // deno-lint-ignore no-explicit-any
  body: any;
  /** Aborted when the stand-in closes (ends scripted delays early). */
  signal: AbortSignal;
}

/** What both stand-ins offer a test. */
export interface FakeProvider {
  /** Base URL for config `models.providers.<id>.baseUrl` (ends in `/v1`). */
  url: string;
  /** Every request received, oldest first. */
  requests: RecordedRequest[];
  /** Queues replies, used in order; when the queue is empty the default reply answers. */
  reply(...replies: ReplyScript[]): void;
  /** Replaces the default reply (initially an echo of the last user message: `Echo: <text>`). */
  setDefault(reply: ReplyScript): void;
  /** Streams whose client went away before the stream finished. */
  readonly aborted: number;
  /** Resolves once `count` streams were closed by their client. */
  waitForAborted(count?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of both stand-ins. */
export interface FakeProviderOptions {
  /** Models the stand-in knows; others get a 404. @default any model */
  models?: string[];
  /** Required API key; a request without it gets a 401. @default any key */
  apiKey?: string;
}

/** The chunks a reply streams. */
export function replyChunks(reply: ScriptedReply): string[] {
  if (reply.chunks) return reply.chunks;
  if (!reply.text) return [];
  return reply.text.match(/\S+\s*|\s+/g) ?? [reply.text];
}

/** Tool-call arguments as JSON text. */
export function argumentsText(call: ScriptedToolCall): string {
  return typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments ?? {});
}

/** Waits `ms`, or less when `signal` aborts (so a closed stand-in leaves no timer behind). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * What a stream awaits before each chunk: the reply's hold, then its delay. Resolves false when
 * the stream is to end there (the client left, or the reply breaks off).
 */
export function pacer(reply: ScriptedReply, signal: AbortSignal): () => Promise<boolean> {
  let sent = 0;
  return async () => {
    if (sent === reply.holdAfter) await held(reply.release, signal);
    await sleep(reply.chunkDelayMs ?? 0, signal);
    sent += 1;
    return !signal.aborted && (reply.breakAfter === undefined || sent <= reply.breakAfter);
  };
}

/** Resolves once `release` does or `signal` aborts, whichever comes first. */
function held(release: Promise<unknown> | undefined, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    release?.then(done, done);
  });
}

/** Everything the two wire formats share; each stand-in supplies `handle`. */
export class FakeServer {
  requests: RecordedRequest[] = [];
  queue: ReplyScript[] = [];
  defaultReply: ReplyScript;
  aborted = 0;
  #waiters: { count: number; resolve(): void }[] = [];
  #server: Deno.HttpServer<Deno.NetAddr>;
  #streams = new Set<() => void>();
  #closing = new AbortController();

  constructor(
    lastUserText: (body: RecordedRequest["body"]) => string,
    handle: (request: RecordedRequest) => Response | Promise<Response>,
  ) {
    this.defaultReply = (request) => ({ text: `Echo: ${lastUserText(request.body)}` });
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const url = new URL(req.url);
        let body: unknown = undefined;
        const text = await req.text();
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        const recorded = {
          method: req.method,
          path: url.pathname,
          headers: req.headers,
          body,
          signal: this.#closing.signal,
        };
        this.requests.push(recorded);
        return await handle(recorded);
      },
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}/v1`;
  }

  next(request: RecordedRequest): ScriptedReply {
    const script = this.queue.shift() ?? this.defaultReply;
    return typeof script === "function" ? script(request) : script;
  }

  /**
   * A streamed response whose `produce` writes SSE frames until done or until `signal` aborts
   * (the client went away, or the stand-in closed); counts early closes by the client.
   */
  sse(produce: (send: (frame: string) => void, signal: AbortSignal) => Promise<void>): Response {
    const stop = new AbortController();
    const encoder = new TextEncoder();
    let finish = () => {};
    const stream = new ReadableStream({
      start: (controller) => {
        finish = () => {
          if (stop.signal.aborted) return;
          stop.abort();
          this.#streams.delete(finish);
          try {
            controller.close();
          } catch { /* the client already closed it */ }
        };
        this.#streams.add(finish);
        produce((frame) => {
          if (!stop.signal.aborted) controller.enqueue(encoder.encode(frame));
        }, stop.signal).finally(finish).catch(() => {});
      },
      cancel: () => {
        if (stop.signal.aborted) return;
        stop.abort();
        this.#streams.delete(finish);
        this.aborted += 1;
        for (const waiter of [...this.#waiters]) {
          if (this.aborted >= waiter.count) {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
      },
    });
    return new Response(stream, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache" },
    });
  }

  waitForAborted(count = 1, timeoutMs = 20_000): Promise<void> {
    if (this.aborted >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`Stand-in saw ${this.aborted} closed streams, expected ${count}`));
      }, timeoutMs);
      this.#waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  async close(): Promise<void> {
    this.#closing.abort();
    for (const finish of [...this.#streams]) finish();
    await this.#server.shutdown();
  }

  /** The public face of the stand-in. */
  facade(): FakeProvider {
    // deno-lint-ignore no-this-alias
    const server = this;
    return {
      get url() {
        return server.url;
      },
      requests: server.requests,
      reply: (...replies) => server.queue.push(...replies),
      setDefault: (reply) => (server.defaultReply = reply),
      get aborted() {
        return server.aborted;
      },
      waitForAborted: (count, timeoutMs) => server.waitForAborted(count, timeoutMs),
      close: () => server.close(),
      [Symbol.asyncDispose]: () => server.close(),
    };
  }
}
