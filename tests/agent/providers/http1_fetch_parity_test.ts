/**
 * @module Where kept HTTP/1.1 connections (agent/providers/_http1.ts) must behave as fetch does:
 * a request the server read and dropped is resent once, not once per idle connection;
 * credentials in the URL become `authorization`; `accept` and `user-agent` are sent; redirects
 * are followed with fetch's method and body rules; compressed answers are decoded, a streamed
 * one piece by piece as it arrives; and an unreadable answer is an upstream error, not "cannot
 * reach". Servers here are raw sockets on 127.0.0.1, so every byte on the wire is what the
 * client wrote.
 */

import { assert, assertEquals, assertRejects, waitFor } from "../../_helpers/assert.ts";
import { readJson, sseReads, upstreamFetch } from "../../../agent/providers/_http.ts";
import { eachEvent } from "../../../agent/providers/types.ts";
import { ProviderError } from "../../../agent/providers/types.ts";
import { okJson, rawHttpServer, type RawRequest } from "../../_helpers/raw_http_server.ts";

const post = (url: string, body: unknown = { x: 1 }, headers: [string, string][] = []) =>
  upstreamFetch({
    provider: "local",
    url,
    headers: [["content-type", "application/json"], ...headers],
    body,
    timeoutMs: 10_000,
  });

async function compressed(text: string, format: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream()
    .pipeThrough(new CompressionStream(format as CompressionFormat));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function joined(head: string, body: Uint8Array): Uint8Array {
  const bytes = new TextEncoder().encode(head);
  const out = new Uint8Array(bytes.length + body.length);
  out.set(bytes);
  out.set(body, bytes.length);
  return out;
}

Deno.test("a POST the server read and dropped is resent once, not once per idle connection", async () => {
  // Eight requests at once open eight connections: none is answered until all eight arrived.
  let release!: () => void;
  const allIn = new Promise<void>((resolve) => release = resolve);
  let warm = 0;
  using server = rawHttpServer(async (request) => {
    if (request.body.includes("drop")) return false; // read, then closed with no answer
    if (++warm === 8) release();
    await allIn;
    return okJson(`{"n":${warm}}`);
  });
  await Promise.all(Array.from({ length: 8 }, () => post(server.url).then(readJson)));
  assertEquals(server.connections, 8);
  const error = await assertRejects(() => post(server.url, { drop: true }), ProviderError);
  assertEquals(error.kind, "unreachable");
  // fetch sends it twice (once, and once more on a new connection); so does the kept client.
  assertEquals(server.seen.filter((request) => request.body.includes("drop")).length, 2);
  // The retry went out on a new connection, and the other idle ones were let go as suspect.
  assertEquals(server.connections, 9);
  await post(server.url).then(readJson);
  assertEquals(server.connections, 10);
});

Deno.test("credentials in the URL are sent as basic authorization, with accept and user-agent", async () => {
  using server = rawHttpServer(() => okJson("{}"));
  const base = `http://us%40er:p%3Aw%C3%A9@127.0.0.1:${server.port}/v1`;
  await post(base).then(readJson);
  const first = server.seen[0];
  assertEquals(first.headers["authorization"], `Basic ${btoa("us@er:p:w\u00c3\u00a9")}`);
  assertEquals(first.headers["accept"], "*/*");
  assert(/^pyclaw\/\d/.test(first.headers["user-agent"]), first.headers["user-agent"]);
  assertEquals(first.headers["host"], `127.0.0.1:${server.port}`);
  // The provider's own authorization wins, as with fetch.
  await post(base, {}, [["authorization", "Bearer sk-own"]]).then(readJson);
  assertEquals(server.seen[1].headers["authorization"], "Bearer sk-own");
});

Deno.test("redirects are followed with fetch's method and body rules", async () => {
  using other = rawHttpServer((request) => okJson(JSON.stringify(request)), "localhost");
  using server = rawHttpServer((request) => {
    const to = (status: number, location: string) =>
      `HTTP/1.1 ${status} Moved\r\nlocation: ${location}\r\ncontent-length: 0\r\n\r\n`;
    const status = Number(request.path.match(/^\/r(\d+)/)?.[1]);
    if (status) return to(status, "/target");
    if (request.path === "/away") return to(307, `${other.url}/there`);
    if (request.path.startsWith("/loop")) return to(302, `/loop${request.path.length}`);
    return okJson(JSON.stringify(request));
  });
  for (
    const [status, method, body] of [
      [307, "POST", '{"x":1}'],
      [308, "POST", '{"x":1}'],
      [301, "GET", ""],
      [302, "GET", ""],
      [303, "GET", ""],
    ] as const
  ) {
    const answer = await post(`${server.url}/r${status}`).then(readJson) as RawRequest;
    assertEquals([answer.path, answer.method, answer.body], ["/target", method, body], `${status}`);
    // A body's headers go with the body.
    assertEquals(answer.headers["content-type"], body ? "application/json" : undefined);
  }
  // Another origin gets the body of a 307 but not the provider's credentials: fetch's three
  // credential headers and, stricter than fetch, the API-key headers providers send.
  const credentials: [string, string][] = [
    ["authorization", "Bearer sk"],
    ["cookie", "c=1"],
    ["proxy-authorization", "Basic cA=="],
    ["x-api-key", "sk-ant"],
    ["api-key", "sk-azure"],
  ];
  const away = await post(`${server.url}/away`, { y: 2 }, [...credentials, ["x-trace", "t"]])
    .then(readJson) as RawRequest;
  assertEquals([away.path, away.method, away.body], ["/there", "POST", '{"y":2}']);
  for (const [name] of credentials) assertEquals(away.headers[name], undefined, name);
  assertEquals(away.headers["x-trace"], "t");
  // The same origin keeps them.
  const here = await post(`${server.url}/r307`, {}, credentials).then(readJson) as RawRequest;
  for (const [name, value] of credentials) assertEquals(here.headers[name], value, name);
  // Twenty redirects are followed; the twenty-first is refused as the upstream's fault.
  const error = await assertRejects(() => post(`${server.url}/loop`), ProviderError);
  assertEquals(error.kind, "upstream");
  assertEquals(server.seen.filter((request) => request.path.startsWith("/loop")).length, 21);
});

Deno.test("gzip, deflate and brotli answers are decoded", async () => {
  const json = JSON.stringify({ choices: [{ message: { content: "squeezed" } }] });
  using server = rawHttpServer(async (request) => {
    const [coding, format] = request.path.slice(1).split("/");
    const body = await compressed(json, format);
    return joined(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: ${coding}\r\ncontent-length: ${body.length}\r\n\r\n`,
      body,
    );
  });
  for (const [coding, format] of [["gzip", "gzip"], ["deflate", "deflate"], ["br", "brotli"]]) {
    assertEquals(await post(`${server.url}/${coding}/${format}`).then(readJson), JSON.parse(json));
  }
  // All on one kept connection: decoding reads each answer to its end.
  assertEquals(server.connections, 1);
});

Deno.test("a gzip event stream is decoded as it arrives: each event before the next is sent", async () => {
  const events = ["one", "two", "[DONE]"];
  const log: string[] = [];
  const decoded = events.map(() => Promise.withResolvers<void>());
  const chunk = (bytes: Uint8Array) =>
    joined(`${bytes.length.toString(16)}\r\n`, new Uint8Array([...bytes, 13, 10]));
  async function* answer() {
    yield "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-encoding: gzip\r\n" +
      "transfer-encoding: chunked\r\n\r\n";
    // Deno's CompressionStream flushes what each write gave it: one gzip piece per event.
    const gzip = new CompressionStream("gzip");
    const writer = gzip.writable.getWriter();
    const pieces = gzip.readable.getReader();
    for (const [i, data] of events.entries()) {
      void writer.write(new TextEncoder().encode(`data: ${data}\n\n`));
      log.push(`sent ${data}`); // before it goes: the client may read it at once
      yield chunk((await pieces.read()).value!);
      // The stream is held until the client has decoded this event. The limit only keeps a
      // client that waits for the body's end (the bug) from hanging the test; such a client
      // fails by its idle timeout, or the log shows the order it went in.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        decoded[i].promise,
        new Promise((resolve) => timer = setTimeout(resolve, 10_000)),
      ]);
      clearTimeout(timer);
    }
    void writer.close();
    for (let rest = await pieces.read(); !rest.done; rest = await pieces.read()) {
      yield chunk(rest.value);
    }
    yield "0\r\n\r\n";
  }
  using server = rawHttpServer(() => ({ stream: answer() }));
  const call = await post(server.url);
  let i = 0;
  for await (const event of eachEvent(sseReads(call))) {
    log.push(`got ${event.data}`);
    decoded[i++]?.resolve();
  }
  assertEquals(log, events.flatMap((data) => [`sent ${data}`, `got ${data}`]));
  assertEquals(server.connections, 1);
});

Deno.test("a body that does not decode is an upstream error, and its connection is closed", async () => {
  using server = rawHttpServer(() =>
    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n" +
    "content-length: 2000\r\n\r\nthis is not gzip"
  );
  const error = await assertRejects(() => post(server.url).then(readJson), ProviderError);
  assertEquals(error.kind, "upstream");
  assert(/cannot be read/.test(error.message), error.message);
  // The rest of the body never comes: only the client closing the connection ends it.
  await waitFor(() => server.closed === 1, 20_000, "the client to close the connection");
});

Deno.test("an unknown content-encoding or an oversized header is an upstream error, not the network", async () => {
  using server = rawHttpServer((request) =>
    request.path === "/zstd"
      ? "HTTP/1.1 200 OK\r\ncontent-encoding: zstd\r\ncontent-length: 2\r\n\r\n{}"
      : request.path === "/big"
      ? `HTTP/1.1 200 OK\r\nx-big: ${"a".repeat(20_000)}\r\ncontent-length: 2\r\n\r\n{}`
      : `HTTP/1.1 200 OK\r\nx-huge: ${"a".repeat(300_000)}\r\ncontent-length: 2\r\n\r\n{}`
  );
  // 20 KB of headers is read, as fetch reads it.
  assertEquals(await post(`${server.url}/big`).then(readJson), {});
  for (const path of ["/zstd", "/huge"]) {
    const error = await assertRejects(() => post(`${server.url}${path}`), ProviderError);
    assertEquals(error.kind, "upstream", path);
    assert(!/cannot reach/i.test(error.message), error.message);
    assert(/cannot be read/.test(error.message), error.message);
  }
});

Deno.test("a kept-connection client that cannot load says so once, and fetch serves", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("{}", { headers: { "content-type": "application/json" } }),
  );
  // The parser replaced by a module that fails to load: a node_modules without it.
  const map = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      map,
      JSON.stringify({
        imports: {
          "bare-http-parser":
            "data:text/javascript,throw new Error('parser missing');export default 0",
        },
      }),
    );
    const module = new URL("../../../agent/providers/_http.ts", import.meta.url).href;
    const script = `
      const { upstreamFetch, readJson } = await import(${JSON.stringify(module)});
      for (let i = 0; i < 2; i++) {
        const call = await upstreamFetch({ provider: "p", headers: [], timeoutMs: 10000,
          url: "http://127.0.0.1:${server.addr.port}/v1", body: {} });
        console.log(JSON.stringify(await readJson(call)));
      }`;
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", "--no-lock", `--import-map=${map}`, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(new TextDecoder().decode(output.stdout), "{}\n{}\n", stderr);
    assertEquals(
      stderr.match(/kept HTTP\/1\.1 connections are off.*parser missing/g)?.length,
      1,
      stderr,
    );
  } finally {
    await Deno.remove(map);
  }
});

Deno.test("a redirect to https is handed to fetch, and one to another scheme is refused", async () => {
  // A plain TCP listener: what arrives shows who followed the redirect (TLS starts with 0x16).
  const tls = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const firstByte = (async () => {
    const conn = await tls.accept();
    const bytes = new Uint8Array(1);
    await conn.read(bytes);
    conn.close();
    return bytes[0];
  })();
  using server = rawHttpServer((request) =>
    `HTTP/1.1 307 Moved\r\nlocation: ${
      request.path === "/tls"
        ? `https://127.0.0.1:${(tls.addr as Deno.NetAddr).port}/v1`
        : "data:application/json,{}"
    }\r\ncontent-length: 0\r\n\r\n`
  );
  try {
    await assertRejects(() => post(`${server.url}/tls`), ProviderError);
    assertEquals(await firstByte, 0x16); // a TLS ClientHello: fetch took it
    const error = await assertRejects(() => post(`${server.url}/data`), ProviderError);
    assertEquals(error.kind, "upstream");
  } finally {
    tls.close();
  }
});

Deno.test("a 204 marked gzip has no body to decode", async () => {
  using server = rawHttpServer(() => "HTTP/1.1 204 No Content\r\ncontent-encoding: gzip\r\n\r\n");
  const call = await post(server.url);
  assertEquals([call.response.status, await call.response.text()], [204, ""]);
  call.done();
});
