import { assert, assertEquals, assertRejects, waitFor } from "../_helpers/assert.ts";
import { GatewayError } from "../../core/errors.ts";
import { openRawSocket, startTestGateway, TEST_TOKEN } from "../_helpers/gateway.ts";

Deno.test("connect returns protocol and server, then health answers", async () => {
  await using gw = await startTestGateway();
  const client = await gw.connect();
  assertEquals(client.hello?.protocol, 3);
  assertEquals(client.hello?.server.name, "pyclaw");
  const health = await client.request(
    "health",
  );
  assertEquals(health.status, "ok");
  assertEquals(health.connections, 1);
  assert(health.uptime >= 0);
});

Deno.test("a request before connect gets AUTH_REQUIRED and the socket closes", async () => {
  await using gw = await startTestGateway();
  const raw = await openRawSocket(gw.url);
  raw.socket.send(JSON.stringify({ type: "req", id: "1", method: "health", params: {} }));
  const frame = await raw.next() as { id: string; ok: boolean; error: { code: string } };
  assertEquals(frame.id, "1");
  assertEquals(frame.ok, false);
  assertEquals(frame.error.code, "AUTH_REQUIRED");
  const closed = await raw.closed;
  assertEquals(closed.code, 1008);
});

Deno.test("connect with a wrong token is AUTH_REQUIRED", async () => {
  await using gw = await startTestGateway();
  const error = await assertRejects(() => gw.connect({ token: "wrong" }), GatewayError);
  assertEquals(error.code, "AUTH_REQUIRED");
  const missing = await assertRejects(() => gw.connect({ token: "" }), GatewayError);
  assertEquals(missing.code, "AUTH_REQUIRED");
});

Deno.test("connect outside the protocol range is refused with details", async () => {
  await using gw = await startTestGateway();
  const error = await assertRejects(
    () => gw.connect({ token: TEST_TOKEN, minProtocol: 4, maxProtocol: 5 }),
    GatewayError,
  );
  assertEquals(error.code, "INVALID_PARAMS");
  assertEquals(error.details?.reason, "protocol_mismatch");
  const old = await gw.connect({ minProtocol: 1, maxProtocol: 2 });
  assertEquals(old.hello?.protocol, 2);
});

Deno.test("unknown method is METHOD_NOT_FOUND and the spec's unimplemented ones NOT_IMPLEMENTED", async () => {
  await using gw = await startTestGateway();
  const client = await gw.connect();
  const unknown = await assertRejects(() => client.request("nope.nothing"), GatewayError);
  assertEquals(unknown.code, "METHOD_NOT_FOUND");
  for (
    const method of ["tts.speak", "wizard.start", "wizard.step", "push.send", "voicewake.status"]
  ) {
    const error = await assertRejects(() => client.request(method), GatewayError);
    assertEquals(error.code, "NOT_IMPLEMENTED", method);
  }
});

/** Sends a valid `connect` on a raw socket (the reply is left for the test to read). */
function sendConnect(socket: WebSocket): void {
  socket.send(
    JSON.stringify({
      type: "req",
      id: "c",
      method: "connect",
      params: { auth: { token: TEST_TOKEN } },
    }),
  );
}

Deno.test("malformed frames get error frames and the connection stays usable", async () => {
  await using gw = await startTestGateway();
  const raw = await openRawSocket(gw.url);
  sendConnect(raw.socket);
  assertEquals((await raw.next() as { ok: boolean }).ok, true);
  const bad: [string, unknown][] = [
    ["{not json", null],
    ["[1,2]", null],
    ['"text"', null],
    [JSON.stringify({ type: "req", method: "health" }), null],
    [JSON.stringify({ type: "req", id: "m1" }), "m1"],
    [JSON.stringify({ type: "event", id: "e1", method: "health" }), "e1"],
  ];
  const nextResponse = async () => {
    for (;;) {
      const frame = await raw.next() as {
        type: string;
        id: unknown;
        ok: boolean;
        error: { code: string };
      };
      if (frame.type === "res") return frame;
    }
  };
  for (const [text, id] of bad) {
    raw.socket.send(text);
    const frame = await nextResponse();
    assertEquals(frame.type, "res");
    assertEquals(frame.id, id, text);
    assertEquals(frame.ok, false);
    assertEquals(frame.error.code, "INVALID_PARAMS");
  }
  raw.socket.send(JSON.stringify({ type: "req", id: 7, method: "health" }));
  const numeric = await nextResponse();
  assertEquals(numeric.id, 7);
  assertEquals(numeric.ok, true);
  raw.socket.close();
  await raw.closed;
});

Deno.test("params failing their schema are INVALID_PARAMS naming the path", async () => {
  await using gw = await startTestGateway();
  const client = await gw.connect();
  const error = await assertRejects(
    () => client.request("system.logs", { lines: "many" }),
    GatewayError,
  );
  assertEquals(error.code, "INVALID_PARAMS");
  assert(error.message.includes("lines"), error.message);
});

Deno.test("a second connect on an open connection is refused", async () => {
  await using gw = await startTestGateway();
  const client = await gw.connect();
  const error = await assertRejects(
    () => client.request("connect", { auth: { token: TEST_TOKEN } }),
    GatewayError,
  );
  assertEquals(error.code, "INVALID_PARAMS");
  assertEquals((await client.request("health")).status, "ok");
});

Deno.test("events carry a per-connection seq from 1 without gaps", async () => {
  await using gw = await startTestGateway();
  const a = await gw.connect();
  const b = await gw.connect();
  const seenA: number[] = [];
  const seenB: number[] = [];
  a.onEvent((frame) => frame.event === "system.event" && seenA.push(frame.seq));
  b.onEvent((frame) => frame.event === "system.event" && seenB.push(frame.seq));
  // b connected after a, so a has already seen one presence event more than b.
  for (let i = 0; i < 5; i++) await a.request("system.event", { text: `tick ${i}` });
  await waitFor(() => seenA.length === 5 && seenB.length === 5);
  for (const seen of [seenA, seenB]) {
    for (let i = 1; i < seen.length; i++) assertEquals(seen[i], seen[i - 1] + 1);
  }
  // Every event of a fresh connection, from its first: 1, 2, 3, …
  const raw = await openRawSocket(gw.url);
  sendConnect(raw.socket);
  for (let i = 0; i < 3; i++) await a.request("system.event", { text: `more ${i}` });
  await waitFor(() =>
    raw.frames.filter((f) => (f as { type: string }).type === "event").length >= 3
  );
  const seqs = raw.frames.filter((f) => (f as { type: string }).type === "event").map((f) =>
    (f as { seq: number }).seq
  );
  assertEquals(seqs.slice(0, 3), [1, 2, 3]);
  raw.socket.close();
  await raw.closed;
});

Deno.test("a frame over the size limit closes the socket with 1009", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { limits: { maxFrameBytes: 1024 } } },
  });
  const raw = await openRawSocket(gw.url);
  sendConnect(raw.socket);
  await raw.next();
  raw.socket.send(
    JSON.stringify({ type: "req", id: "big", method: "health", params: { pad: "x".repeat(2000) } }),
  );
  const closed = await raw.closed;
  assertEquals(closed.code, 1009);
});

Deno.test("a socket that never sends connect is closed after the deadline", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { limits: { connectTimeoutMs: 100 } } },
  });
  const raw = await openRawSocket(gw.url);
  const closed = await raw.closed;
  assertEquals(closed.code, 1008);
});
