import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import { GatewayError } from "../../core/errors.ts";
import { openRawSocket, startTestGateway, TEST_TOKEN } from "../_helpers/gateway.ts";

Deno.test("connect returns protocol and server, then health answers", async () => {
  await using gw = await startTestGateway();
  const client = await gw.connect();
  assertEquals(client.hello?.protocol, 3);
  assertEquals(client.hello?.server.name, "pyclaw");
  const health = await client.request<{ status: string; uptime: number; connections: number }>(
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
