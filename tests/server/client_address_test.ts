/**
 * @module Per-address limits and the failed-auth lockout: loopback clients are spared, remote ones
 * (named by a trusted reverse proxy's X-Forwarded-For) are limited each on its own.
 */

import { assert, assertEquals, assertRejects, assertThrows, waitFor } from "../_helpers/assert.ts";
import { ConfigError, validateConfig } from "../../core/config/load.ts";
import { GatewayError } from "../../core/errors.ts";
import { openRawSocket, startTestGateway, TEST_TOKEN } from "../_helpers/gateway.ts";

/** Opens a WebSocket with `headers` and answers the upgrade status (101, or the refusal's). */
async function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  const socket = new WebSocket(url, { headers } as unknown as string[]);
  return await new Promise<number>((resolve) => {
    socket.onopen = () => {
      socket.close();
      resolve(101);
    };
    socket.onerror = (event) => {
      const message = (event as ErrorEvent).message ?? "";
      resolve(Number(message.match(/\b(4\d\d)\b/)?.[1] ?? 0));
    };
  });
}

/** Sends `connect` on a raw socket with `headers`; answers the response frame's error code or "ok". */
async function connectAs(url: string, token: string, headers: Record<string, string>) {
  const raw = await openRawSocket(url, headers);
  raw.socket.send(JSON.stringify({
    type: "req",
    id: "c",
    method: "connect",
    params: { auth: { token }, clientName: "proxied" },
  }));
  const frame = await raw.next() as {
    ok: boolean;
    error?: { code: string; details?: { retryAfterMs?: number } };
  };
  raw.socket.close();
  await raw.closed;
  return frame.ok ? { code: "ok" } : frame.error!;
}

Deno.test("failed connects from loopback lock nobody out: the right token still connects", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { limits: { authFailuresPerMinute: 3 } } },
  });
  for (let i = 0; i < 6; i++) {
    const error = await assertRejects(() => gw.connect({ token: `wrong-${i}` }), GatewayError);
    assertEquals(error.code, "AUTH_REQUIRED");
  }
  const client = await gw.connect({ token: TEST_TOKEN });
  assertEquals((await client.request("health")).status, "ok");
  const http = await fetch(`${gw.baseUrl}/v1/models`, {
    headers: { authorization: `Bearer ${TEST_TOKEN}` },
  });
  await http.body?.cancel();
  assertEquals(http.status, 200);
});

Deno.test("behind a trusted proxy, each forwarded client is locked out on its own", async () => {
  await using gw = await startTestGateway({
    config: {
      gateway: { trustedProxies: ["127.0.0.1/8"], limits: { authFailuresPerMinute: 3 } },
    },
  });
  const remote = { "x-forwarded-for": "203.0.113.7" };
  for (let i = 0; i < 3; i++) {
    assertEquals((await connectAs(gw.url, `wrong-${i}`, remote)).code, "AUTH_REQUIRED");
  }
  const limited = await connectAs(gw.url, TEST_TOKEN, remote);
  assertEquals(limited.code, "RATE_LIMITED");
  assert(Number(limited.details?.retryAfterMs) > 0);
  // Another client behind the same proxy, and the local CLI, are unaffected.
  assertEquals(
    (await connectAs(gw.url, TEST_TOKEN, { "x-forwarded-for": "203.0.113.8" })).code,
    "ok",
  );
  assertEquals((await connectAs(gw.url, TEST_TOKEN, {})).code, "ok");
});

Deno.test("an untrusted loopback peer relaying X-Forwarded-For is not spared the lockout", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { limits: { authFailuresPerMinute: 2 } } },
  });
  const relayed = { "x-forwarded-for": "198.51.100.1" };
  for (let i = 0; i < 2; i++) {
    assertEquals((await connectAs(gw.url, `wrong-${i}`, relayed)).code, "AUTH_REQUIRED");
  }
  assertEquals((await connectAs(gw.url, TEST_TOKEN, relayed)).code, "RATE_LIMITED");
  assertEquals((await connectAs(gw.url, TEST_TOKEN, {})).code, "ok");
});

Deno.test("over HTTP too, an untrusted loopback peer relaying X-Forwarded-For is locked out, the plain loopback client not", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { limits: { authFailuresPerMinute: 2 } } },
  });
  const status = async (token: string, headers: Record<string, string> = {}) => {
    const response = await fetch(`${gw.baseUrl}/v1/models`, {
      headers: { authorization: `Bearer ${token}`, ...headers },
    });
    await response.body?.cancel();
    return response.status;
  };
  const relayed = { "x-forwarded-for": "198.51.100.1" };
  for (let i = 0; i < 2; i++) assertEquals(await status(`wrong-${i}`, relayed), 401);
  assertEquals(await status(TEST_TOKEN, relayed), 429);
  assertEquals(await status(TEST_TOKEN, { forwarded: "for=198.51.100.1" }), 429);
  assertEquals(await status(TEST_TOKEN), 200);
});

Deno.test("loopback clients are not capped per address; forwarded remote clients are", async () => {
  await using gw = await startTestGateway({
    config: {
      gateway: { trustedProxies: ["127.0.0.1"], limits: { maxConnectionsPerAddress: 2 } },
    },
  });
  for (let i = 0; i < 5; i++) await gw.connect();
  const remote = { "x-forwarded-for": "203.0.113.20" };
  const first = await openRawSocket(gw.url, remote);
  const second = await openRawSocket(gw.url, remote);
  assertEquals(await upgradeStatus(gw.url, remote), 429);
  assertEquals(await upgradeStatus(gw.url, { "x-forwarded-for": "203.0.113.21" }), 101);
  for (const raw of [first, second]) {
    raw.socket.close();
    await raw.closed;
  }
});

Deno.test("gateway.limits.exemptLoopback false caps loopback like any address", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { limits: { maxConnectionsPerAddress: 2, exemptLoopback: false } } },
  });
  await gw.connect();
  await gw.connect();
  assertEquals(await upgradeStatus(gw.url), 429);
});

Deno.test("gateway.trustedProxies refuses what is not an address or range", () => {
  const error = assertThrows(
    () => validateConfig({ gateway: { trustedProxies: ["proxy.example"] } }, {}),
    ConfigError,
  );
  assert(error.message.includes("Not an IP address or CIDR range: proxy.example"), error.message);
});

/** Sends a WebSocket handshake over raw TCP and answers the status line's code. */
async function rawHandshakeStatus(url: string, headers: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  try {
    await connection.write(new TextEncoder().encode(
      `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\n${headers}Connection: close\r\n\r\n`,
    ));
    const buffer = new Uint8Array(1024);
    const n = await connection.read(buffer);
    const head = new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    return Number(head.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
  } finally {
    connection.close();
  }
}

Deno.test("a malformed WebSocket handshake is a 400 and does not keep its address's connection slot", async () => {
  await using gw = await startTestGateway({
    config: {
      gateway: { trustedProxies: ["127.0.0.1"], limits: { maxConnectionsPerAddress: 2 } },
    },
  });
  // `Upgrade: websocket` without `Connection: Upgrade` or `Sec-WebSocket-Key`: Deno refuses it.
  const malformed = "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
    "X-Forwarded-For: 203.0.113.30\r\n";
  for (let i = 0; i < 4; i++) assertEquals(await rawHandshakeStatus(gw.url, malformed), 400);
  assertEquals(await upgradeStatus(gw.url, { "x-forwarded-for": "203.0.113.30" }), 101);
});

/**
 * Opens a WebSocket over raw TCP as `forwardedFor` and reads until the gateway's close frame
 * came, answering nothing: a client that never answers the close. Returns the open TCP connection.
 */
async function silentSocketClosedByGateway(url: string, forwardedFor: string) {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  await connection.write(new TextEncoder().encode(
    `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\n` +
      "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
      `Sec-WebSocket-Version: 13\r\nX-Forwarded-For: ${forwardedFor}\r\n\r\n`,
  ));
  const buffer = new Uint8Array(4096);
  let received = new Uint8Array(0);
  for (;;) {
    const n = await connection.read(buffer);
    if (n === null) throw new Error("The gateway closed the TCP connection");
    received = new Uint8Array([...received, ...buffer.subarray(0, n)]);
    const head = new TextDecoder().decode(received);
    const end = head.indexOf("\r\n\r\n");
    assert(head.startsWith("HTTP/1.1 101 "), head);
    // An unmasked server frame whose first byte is FIN + opcode 8: the close frame.
    if (end >= 0 && received.subarray(end + 4).includes(0x88)) return connection;
  }
}

Deno.test("a socket closed for a late connect keeps its address's slot until the client leaves", async () => {
  await using gw = await startTestGateway({
    config: {
      gateway: {
        trustedProxies: ["127.0.0.1"],
        limits: { maxConnectionsPerAddress: 1, connectTimeoutMs: 100 },
      },
    },
  });
  const address = "203.0.113.40";
  // Deno cannot drop a socket whose client never answers the close frame: it stays open, so it
  // stays counted, or one address could hold any number of them, a slot at a time. Counted
  // still long after the grace a socket closed before its upgrade completed gets.
  const silent = await silentSocketClosedByGateway(gw.url, address);
  await new Promise((resolve) => setTimeout(resolve, 800));
  assertEquals(await upgradeStatus(gw.url, { "x-forwarded-for": address }), 429);
  silent.close();
  await waitFor(
    async () => await upgradeStatus(gw.url, { "x-forwarded-for": address }) === 101,
    undefined,
    "the slot back once the client left",
  );
});

Deno.test("a WebSocket handshake the client gave up on does not keep its address's slot", async () => {
  await using gw = await startTestGateway({
    config: {
      gateway: {
        trustedProxies: ["127.0.0.1"],
        limits: { maxConnectionsPerAddress: 4, connectTimeoutMs: 300 },
      },
    },
  });
  const address = "203.0.113.88";
  const { hostname, port } = new URL(gw.url);
  const head = `Host: ${hostname}:${port}\r\nX-Forwarded-For: ${address}\r\n`;
  const encoder = new TextEncoder();
  // A client that sends its upgrade after a first request whose answer it does not read, and
  // leaves: the gateway has accepted the upgrade, which never completes. Deno then reports
  // nothing on the server socket, or only `error`, never `close`.
  for (let i = 0; i < 12; i++) {
    const connection = await Deno.connect({ hostname, port: Number(port) });
    await connection.write(encoder.encode(`GET /health HTTP/1.1\r\n${head}\r\n`));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await connection.write(encoder.encode(
      `GET / HTTP/1.1\r\n${head}Upgrade: websocket\r\nConnection: Upgrade\r\n` +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ));
    if (i % 2) await new Promise((resolve) => setTimeout(resolve, 0));
    connection.close();
  }
  await waitFor(
    async () => await upgradeStatus(gw.url, { "x-forwarded-for": address }) === 101,
    undefined,
    "the address's slots back",
  );
});
