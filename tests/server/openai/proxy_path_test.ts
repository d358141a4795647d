/**
 * @module What a warm `/v1/chat/completions` request may cost, counted rather than timed (issue
 * 17; `npm run bench:compare -- A B --modes v1,first` is the timed check): no timer armed, no
 * file touched, no connection opened and no watch of the client started on the request's way
 * (usage records share one batched append; upstream connections are kept; requests are tied to
 * their clients by server/client_signal.ts, a tick later or once a stream is answered), the
 * provider built once, and a streamed answer read into one buffer.
 * Each of these crept onto the proxy's path once and made it slower without anyone noticing.
 */

import OpenAI from "openai";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { timersArmedDuring } from "../../_helpers/timers.ts";
import {
  CLIENT_TICK_MS,
  requestsUnanswered,
  requestsWatched,
} from "../../../server/client_signal.ts";

/** The `Deno` file system calls made while `work` runs. */
async function fsCallsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const calls: string[] = [];
  const deno = Deno as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (const [name, value] of Object.entries(deno)) {
    const fsCall = /^(open|create|stat|lstat|read|write|mkdir|remove|rename|realPath|truncate)/;
    if (typeof value !== "function" || !fsCall.test(name)) continue;
    originals.set(name, value);
    deno[name] = function (this: unknown, ...args: unknown[]) {
      calls.push(`${name} ${String(args[0])}`);
      return (value as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    for (const [name, original] of originals) deno[name] = original;
  }
  return calls;
}

Deno.test("warm /v1/chat/completions requests arm no timer, touch no file, open no connection and reuse the provider", async () => {
  await using env = await startChatGateway();
  env.upstream.setDefault({ chunks: ["Hel", "lo"], text: "Hello" });
  const openai = new OpenAI({
    baseURL: `${env.gw.baseUrl}/v1`,
    apiKey: env.gw.token!,
    maxRetries: 0,
  });
  const requests = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const plain = await openai.chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "Hi" }],
      });
      assertEquals(plain.choices[0].message.content, "Hello");
      const stream = await openai.chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "Hi" }],
        stream: true,
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      assertEquals(text, "Hello");
    }
  };
  await requests(2);
  // The first batch of usage records creates the file (and its folder): a first use, not warm.
  await env.gw.gateway.services.usage.flush();
  const providers = env.gw.gateway.services.providers;
  const provider = providers.resolve("gpt-test").provider;
  let fsCalls: string[] = [];
  // A plain-http upstream is reached over kept connections: warm requests open none, streamed
  // ones included (a stream read to its [DONE] leaves its connection for the next request).
  const connect = Deno.connect;
  let connects = 0;
  (Deno as { connect: unknown }).connect = (...args: Parameters<typeof connect>) => {
    connects++;
    return connect(...args);
  };
  // Deno watches a request for its client leaving only once its signal is read, an async op per
  // request: server/client_signal.ts reads it only for requests still open a tick later, and for
  // streamed answers.
  const serverDir = new URL("../../../server/", import.meta.url).href;
  const signalGetter = Object.getOwnPropertyDescriptor(Request.prototype, "signal")!;
  let signalReads = 0;
  Object.defineProperty(Request.prototype, "signal", {
    ...signalGetter,
    get(this: Request) {
      const stack = new Error().stack ?? "";
      if (stack.includes(serverDir) && !stack.includes("/server/client_signal.ts")) signalReads++;
      return signalGetter.get!.call(this);
    },
  });
  const started = performance.now();
  const timers = await timersArmedDuring(async () => {
    fsCalls = await fsCallsDuring(() => requests(10));
  }).finally(() => {
    (Deno as { connect: unknown }).connect = connect;
    Object.defineProperty(Request.prototype, "signal", signalGetter);
  });
  assertEquals(connects, 0);
  assertEquals(signalReads, 0);
  // A request is watched until its route answers, not until its answer has gone out: waiting on
  // Deno's `completed` cost every request a promise and its reactions.
  assertEquals(requestsWatched(), 0);
  // And each request's route is counted as done, once (the collection after work waits for it).
  assertEquals(requestsUnanswered(), 0);
  const seconds = (performance.now() - started) / 1000;
  // Usage records are appended in batches (their timer is per batch, not per request), and open
  // requests are looked at once a tick, however many there are.
  const ticks = timers.filter((timer) => timer.includes("/server/client_signal.ts")).length;
  assert(ticks <= 1 + Math.ceil(seconds * 1000 / CLIENT_TICK_MS), `${ticks} ticks in ${seconds} s`);
  assertEquals(
    timers.filter((timer) => !/\/(agent\/usage_store|server\/client_signal)\.ts/.test(timer)),
    [],
  );
  // Besides those, the local model index is looked at in the background, at most once a second
  // (agent/models/model_store.ts), however many requests resolve a model meanwhile: a window of
  // N seconds holds at most N + 1 looks (on a busy machine the 20 requests take more than one).
  const perSecond = `${env.gw.paths.modelsDir}/index.json`;
  const looks = fsCalls.filter((call) => call.endsWith(perSecond)).length;
  assert(looks <= 1 + Math.floor(seconds), `${looks} looks at the model index in ${seconds} s`);
  assertEquals(
    fsCalls.filter((call) => !call.endsWith("usage.jsonl") && !call.endsWith(perSecond)),
    [],
  );
  assert(providers.resolve("gpt-test").provider === provider, "the provider was built again");
});

Deno.test("a streamed upstream answer is read into one buffer, not a new one per read", async () => {
  await using env = await startChatGateway();
  env.upstream.setDefault({ chunks: ["Hel", "lo", " there"] });
  const openai = new OpenAI({
    baseURL: `${env.gw.baseUrl}/v1`,
    apiKey: env.gw.token!,
    maxRetries: 0,
  });
  // Deno's default reader of a fetched body allocates a fresh 64 KiB buffer for every read, a
  // read per token; the providers read with a BYOB reader into a buffer of their own, or (a
  // plain-http upstream, as here) from a kept connection into its one buffer, with no reader.
  const modes: string[] = [];
  const getReader = ReadableStream.prototype.getReader;
  ReadableStream.prototype.getReader = function (this: ReadableStream, ...args: unknown[]) {
    if (new Error().stack?.match(/\/agent\/providers\/_http(_fetched)?\.ts/)) {
      modes.push((args[0] as { mode?: string } | undefined)?.mode ?? "default");
    }
    return getReader.apply(this, args as never);
  } as typeof getReader;
  try {
    const stream = await openai.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    assertEquals(text, "Hello there");
  } finally {
    ReadableStream.prototype.getReader = getReader;
  }
  assertEquals(modes.filter((mode) => mode !== "byob"), []);
});

Deno.test("a /v1 request with the gateway's token reaches its route in the turn Deno.serve called in", async () => {
  // Deno.serve's handler, wrapped to say whether a body read began while it was still running:
  // every `await` or async layer between them (auth, routing, limits) costs the request a turn
  // of the event loop's microtasks and a promise.
  let inHandler = false;
  const readsInHandler: boolean[] = [];
  const serve = Deno.serve;
  // The gateway's listeners pass their handler in the options (the stand-in upstream does not).
  (Deno as { serve: unknown }).serve = (
    options: { handler?: (...args: unknown[]) => unknown },
    ...rest: unknown[]
  ) => {
    const handler = options.handler;
    const wrapped = handler
      ? {
        ...options,
        // Two parameters: Deno.serve passes the connection info only to a handler that takes it.
        handler: (request: unknown, info: unknown) => {
          inHandler = true;
          try {
            return handler(request, info);
          } finally {
            inHandler = false;
          }
        },
      }
      : options;
    return (serve as (...args: unknown[]) => unknown)(wrapped, ...rest);
  };
  const json = Request.prototype.json;
  Request.prototype.json = function (this: Request) {
    if (new URL(this.url).pathname === "/v1/chat/completions") readsInHandler.push(inHandler);
    return json.call(this);
  };
  try {
    await using env = await startChatGateway();
    env.upstream.setDefault({ chunks: ["Hel", "lo"], text: "Hello" });
    const openai = new OpenAI({
      baseURL: `${env.gw.baseUrl}/v1`,
      apiKey: env.gw.token!,
      maxRetries: 0,
    });
    for (let i = 0; i < 3; i++) {
      const plain = await openai.chat.completions.create({
        model: "gpt-test",
        messages: [{ role: "user", content: "Hi" }],
      });
      assertEquals(plain.choices[0].message.content, "Hello");
    }
  } finally {
    (Deno as { serve: unknown }).serve = serve;
    Request.prototype.json = json;
  }
  // The first request may load the route's module (once per process); warm ones read at once.
  assertEquals(readsInHandler.length, 3);
  assertEquals(readsInHandler.slice(1), [true, true]);
});
