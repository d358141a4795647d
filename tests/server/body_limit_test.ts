/**
 * @module What a client without credentials can make the gateway read: the routes anyone may
 * reach (`POST /v1/devices/complete`, the pages) read at most a few KiB of body, within the
 * `connect` deadline, whatever the body announces; authenticated routes keep
 * `maxHttpBodyBytes`.
 */

import { assert, assertEquals, waitFor } from "../_helpers/assert.ts";
import { startTestGateway, TEST_TOKEN } from "../_helpers/gateway.ts";
import { PUBLIC_MAX_BODY_BYTES } from "../../server/http_handler.ts";

/** A request body sent chunked (a stream: no content-length for the gateway to check first). */
function chunked(text: string, pieces: number): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  const size = Math.ceil(bytes.length / pieces);
  return new ReadableStream({
    start(controller) {
      for (let i = 0; i < bytes.length; i += size) controller.enqueue(bytes.slice(i, i + size));
      controller.close();
    },
  });
}

/** A pairing answer padded past the public body limit. */
const PADDED = JSON.stringify({
  code: "ZZZZ-ZZZZ",
  response: "accept",
  pad: "a".repeat(PUBLIC_MAX_BODY_BYTES),
});

/**
 * Sends `head` and the start of a body over raw TCP, then nothing more, and answers the response
 * the gateway writes (its head and as much body as it announces), or a note that none came in
 * `patience` ms: the old behaviour, waiting for the rest of the body, fails instead of hanging.
 */
async function sendHalfBody(url: string, head: string, start: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  const patience = setTimeout(() => connection.close(), 20_000);
  let received = "";
  try {
    await connection.write(new TextEncoder().encode(head + start));
    const buffer = new Uint8Array(4096);
    const decoder = new TextDecoder();
    for (;;) {
      const end = received.indexOf("\r\n\r\n");
      const length = Number(received.match(/\r\ncontent-length: (\d+)/i)?.[1] ?? 0);
      if (end >= 0 && received.length >= end + 4 + length) return received;
      const n = await connection.read(buffer);
      if (n === null) return received;
      received += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } catch {
    return received || "no answer: the gateway waited for the rest of the body";
  } finally {
    clearTimeout(patience);
    try {
      connection.close();
    } catch { /* closed by the patience timer */ }
  }
}

Deno.test("POST /v1/devices/complete refuses a body past the public limit with 413, announced or chunked", async () => {
  await using gw = await startTestGateway();
  const url = `${gw.baseUrl}/v1/devices/complete`;
  const headers = { "content-type": "application/json" };
  const sized = await fetch(url, { method: "POST", headers, body: PADDED });
  assertEquals([sized.status, (await sized.json()).error.message], [
    413,
    `Request body too large (limit ${PUBLIC_MAX_BODY_BYTES} bytes)`,
  ]);
  const streamed = await fetch(url, { method: "POST", headers, body: chunked(PADDED, 8) });
  assertEquals(streamed.status, 413);
  await streamed.body?.cancel();
  // A pairing answer of its real size, chunked, still reaches the route (an unknown code).
  const small = await fetch(url, {
    method: "POST",
    headers,
    body: chunked(JSON.stringify({ code: "ZZZZ-ZZZZ", response: "accept" }), 3),
  });
  assertEquals([small.status, (await small.json()).error.code], [400, "INVALID_PARAMS"]);
  // An authenticated route still takes a body of that size.
  const chat = await fetch(`${gw.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { ...headers, authorization: `Bearer ${TEST_TOKEN}` },
    body: JSON.stringify({ model: "nope/none", messages: [], pad: "a".repeat(8192) }),
  });
  assert(chat.status !== 413 && chat.status < 500, `status ${chat.status}`);
  await chat.body?.cancel();
});

Deno.test("a public route answers 408 to a body that is not in within the connect deadline", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { limits: { connectTimeoutMs: 200 } } },
  });
  const { host } = new URL(gw.baseUrl);
  const announced = await sendHalfBody(
    gw.baseUrl,
    `POST /v1/devices/complete HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      "Content-Length: 200\r\n\r\n",
    '{"code":',
  );
  assert(announced.startsWith("HTTP/1.1 408 "), announced);
  assert(announced.includes("not received within 200 ms"), announced);
  const dripped = await sendHalfBody(
    gw.baseUrl,
    `POST /v1/devices/complete HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
      "Transfer-Encoding: chunked\r\n\r\n",
    '8\r\n{"code":\r\n',
  );
  assert(dripped.startsWith("HTTP/1.1 408 "), dripped);
});

/** The log's records so far. */
async function logRecords(file: string): Promise<{ level: string; msg: string }[]> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

Deno.test("a client that leaves mid-body is no error of the gateway's: logged at debug, not as a failed request", async () => {
  await using gw = await startTestGateway();
  const { hostname, port, host } = new URL(gw.baseUrl);
  const heads = [
    // A public route, its body announced.
    `POST /v1/devices/complete HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
    'Content-Length: 200\r\n\r\n{"code":',
    // An authenticated route, its body chunked.
    `POST /v1/chat/completions HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\n` +
    `Authorization: Bearer ${TEST_TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{"model"\r\n`,
  ];
  for (const head of heads) {
    const connection = await Deno.connect({ hostname, port: Number(port) });
    await connection.write(new TextEncoder().encode(head));
    connection.close();
  }
  // Each broken body ends up in the log, at debug or (as it was) at error.
  const seen = await waitFor(async () => {
    const records = (await logRecords(gw.paths.logFile)).filter((record) =>
      record.level === "error" || record.msg === "request body broken off"
    );
    return records.length >= heads.length ? records : undefined;
  });
  assertEquals(seen.map((record) => [record.level, record.msg]), [
    ["debug", "request body broken off"],
    ["debug", "request body broken off"],
  ]);
});
