/**
 * @module The kept HTTP/1.1 connections of plain-http providers (agent/providers/_http1.ts):
 * one connection for many requests, streamed or not; a connection the server closed is not
 * used again, and one that fails before any answer is retried; bodies framed by length, by
 * chunks or by the connection's end; headers checked; idle connections keep no process alive.
 */

import { assert, assertEquals, assertRejects, waitFor } from "../../_helpers/assert.ts";
import { createOpenAiProvider } from "../../../agent/providers/openai_compat.ts";
import { type ChatProvider, ProviderError } from "../../../agent/providers/types.ts";
import { okJson, rawHttpServer } from "../../_helpers/raw_http_server.ts";
import { http1Request, pooledOrigins } from "../../../agent/providers/_http1.ts";

const provider = (baseUrl: string, headers?: Record<string, string>): ChatProvider =>
  createOpenAiProvider({ id: "local", api: "openai", baseUrl, timeoutMs: 10_000, headers });

async function answer(target: ChatProvider, stream: boolean): Promise<string> {
  let text = "";
  for await (
    const event of target.stream({
      model: "m",
      messages: [{ role: "user", content: "Hi" }],
      stream,
    })
  ) {
    if (event.type === "text") text += event.text;
  }
  return text;
}

const completion = (text: string) =>
  JSON.stringify({
    choices: [{ message: { role: "assistant", content: text }, finish_reason: "stop" }],
  });

const sse = (words: string[]) =>
  words.map((word) => `data: {"choices":[{"delta":{"content":"${word}"}}]}\n\n`).join("") +
  `data: {"choices":[{"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n`;

Deno.test("an http provider sends its requests, streamed or not, over one kept connection", async () => {
  const ports: number[] = [];
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request, info) => {
      ports.push(info.remoteAddr.port);
      const body = await request.json();
      return body.stream
        ? new Response(sse(["Hel", "lo"]), { headers: { "content-type": "text/event-stream" } })
        : new Response(completion("Hello"), { headers: { "content-type": "application/json" } });
    },
  );
  const local = provider(`http://127.0.0.1:${server.addr.port}/v1`);
  for (let i = 0; i < 3; i++) {
    assertEquals(await answer(local, false), "Hello");
    assertEquals(await answer(local, true), "Hello");
  }
  assertEquals(ports.length, 6);
  assertEquals(new Set(ports).size, 1);
});

Deno.test("a kept connection that fails before its answer is retried once on a new one", async () => {
  // The first connection answers one request, then closes as the second arrives: what a server
  // closing an idle connection looks like when the request crosses its close.
  using server = rawHttpServer(({ connection, request }) =>
    connection === 1 && request === 2 ? false : okJson(completion(`c${connection}`))
  );
  const local = provider(`${server.url}/v1`);
  assertEquals(await answer(local, false), "c1");
  assertEquals(await answer(local, false), "c2");
  assertEquals(server.connections, 2);
});

Deno.test("a connection the server closes while idle is not used again", async () => {
  using server = rawHttpServer(({ connection }) =>
    okJson(completion(`c${connection}`), "connection: close\r\n")
  );
  const local = provider(`${server.url}/v1`);
  assertEquals(await answer(local, false), "c1");
  assertEquals(await answer(local, false), "c2");
  assertEquals(server.connections, 2);
});

Deno.test("an origin whose kept connections are all gone leaves no entry in the pools", async () => {
  const get = async (url: string) => {
    const response = await http1Request({ method: "GET", url: new URL(url), headers: [] });
    return await response.text();
  };
  // Its idle connection is closed by the server as it shuts down.
  const kept = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("kept"),
  );
  const keptOrigin = `127.0.0.1:${kept.addr.port}`;
  assertEquals(await get(`http://${keptOrigin}/`), "kept");
  assert(pooledOrigins().includes(keptOrigin), "the connection was not kept");
  await kept.shutdown();
  await waitFor(() => !pooledOrigins().includes(keptOrigin), 20_000, "the entry to go");
  // Its only connection is closed by its answer, never going back to the pool.
  using closing = rawHttpServer(() => okJson("{}", "connection: close\r\n"));
  assertEquals(await get(closing.url), "{}");
  assertEquals(pooledOrigins().includes(closing.url.slice("http://".length)), false);
});

Deno.test("an answer framed by the connection's end is read whole", async () => {
  const body = completion("to the end");
  using server = rawHttpServer(() =>
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n${body}`
  );
  const local = provider(`${server.url}/v1`);
  assertEquals(await answer(local, false), "to the end");
  assertEquals(await answer(local, false), "to the end");
});

Deno.test("an answer cut short fails with an upstream error, and the next request works", async () => {
  let cut = true;
  using server = rawHttpServer(() => {
    const reply = okJson(completion("whole"));
    if (!cut) return reply;
    cut = false;
    return { cut: reply.slice(0, -5) }; // less than its content-length, then the connection's end
  });
  const local = provider(`${server.url}/v1`);
  const error = await assertRejects(() => answer(local, false), ProviderError);
  assert(["unreachable", "upstream"].includes(error.kind), error.kind);
  assertEquals(await answer(local, false), "whole");
});

Deno.test("a body is read as UTF-8 whether it came in one chunk, in several, or empty", async () => {
  const text = '{"word":"caf\u00e9 \u2713"}';
  const bytes = new TextEncoder().encode(text);
  // Chunk boundaries inside the two multi-byte characters, all written at once: the parser
  // yields the chunks from one read, and the body's text is decoded across them.
  const cuts = [0, text.indexOf("\u00e9") + 1, bytes.length - 2, bytes.length];
  const chunked = cuts.slice(1).map((end, at) => bytes.subarray(cuts[at], end));
  const encoder = new TextEncoder();
  const parts = [
    encoder.encode("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"),
    encoder.encode("transfer-encoding: chunked\r\n\r\n"),
    ...chunked.flatMap((chunk) => [
      encoder.encode(`${chunk.length.toString(16)}\r\n`),
      chunk,
      encoder.encode("\r\n"),
    ]),
    encoder.encode("0\r\n\r\n"),
  ];
  const whole = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  parts.reduce((at, part) => (whole.set(part, at), at + part.length), 0);
  using server = rawHttpServer(({ path }) =>
    path === "/chunked" ? whole : path === "/empty" ? okJson("") : okJson(text)
  );
  const get = (path: string) =>
    http1Request({ method: "GET", url: new URL(`${server.url}${path}`), headers: [] });
  for (const path of ["/one", "/chunked"]) {
    assertEquals(await (await get(path)).text(), text, path);
    assertEquals(await (await get(path)).json(), { word: "caf\u00e9 \u2713" }, path);
  }
  assertEquals(await (await get("/empty")).text(), "");
  // One connection served them all: each body was read to its end.
  assertEquals(server.connections, 1);
});

Deno.test("a provider header with a line break is refused before anything is sent", async () => {
  using server = rawHttpServer(() => okJson(completion("never")));
  const local = provider(`${server.url}/v1`, { "x-note": "one\r\nx-injected: two" });
  await assertRejects(() => answer(local, false), ProviderError, "Invalid header");
  assertEquals(server.connections, 0);
});

Deno.test("kept connections keep no process alive once its work is done", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(completion("bye"), { headers: { "content-type": "application/json" } }),
  );
  const module = new URL("../../../agent/providers/openai_compat.ts", import.meta.url).href;
  const script = `
    const { createOpenAiProvider } = await import(${JSON.stringify(module)});
    const p = createOpenAiProvider({ id: "l", api: "openai", timeoutMs: 10000,
      baseUrl: "http://127.0.0.1:${server.addr.port}/v1" });
    for await (const e of p.stream({ model: "m", messages: [], stream: false })) {
      if (e.type === "text") console.log(e.text);
    }`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-lock", script],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The child's own exit is the check: a kept connection holding its event loop would hang it
  // (the test runner's sanitizers then report the leaked child).
  const output = await child.output();
  assertEquals(new TextDecoder().decode(output.stderr), "");
  assertEquals(new TextDecoder().decode(output.stdout).trim(), "bye");
  assertEquals(output.code, 0);
});

Deno.test("with HTTP_PROXY set, plain-http requests go through the proxy as fetch sends them", async () => {
  const proxy = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) =>
      new Response(completion(`via proxy ${new URL(request.url).pathname}`), {
        headers: { "content-type": "application/json" },
      }),
  );
  // An address nothing listens on: only the proxy can answer for it.
  const unused = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (unused.addr as Deno.NetAddr).port;
  unused.close();
  const module = new URL("../../../agent/providers/openai_compat.ts", import.meta.url).href;
  const script = `
    const { createOpenAiProvider } = await import(${JSON.stringify(module)});
    const p = createOpenAiProvider({ id: "l", api: "openai", timeoutMs: 10000,
      baseUrl: "http://127.0.0.1:${port}/v1" });
    for await (const e of p.stream({ model: "m", messages: [], stream: false })) {
      if (e.type === "text") console.log(e.text);
    }`;
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-lock", script],
      env: { HTTP_PROXY: `http://127.0.0.1:${proxy.addr.port}` },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(output.stderr), "");
    assertEquals(
      new TextDecoder().decode(output.stdout).trim(),
      "via proxy /v1/chat/completions",
    );
  } finally {
    await proxy.shutdown();
  }
});
