import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import { GatewayError } from "../../core/errors.ts";
import { connectChecked } from "../_helpers/contract.ts";
import { openRawSocket, startTestGateway } from "../_helpers/gateway.ts";
import { resolveGatewayAuth, secretsEqual } from "../../server/auth.ts";
import { validateConfig } from "../../core/config/load.ts";

async function upgradeStatus(url: string, origin?: string): Promise<number> {
  const socket = new WebSocket(url, { headers: origin ? { origin } : {} } as unknown as string[]);
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

Deno.test("WebSocket upgrades from a foreign Origin are refused, own and allowed origins accepted", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { auth: { allowedOrigins: ["https://app.example"] } } },
  });
  const port = gw.gateway.port;
  assertEquals(await upgradeStatus(gw.url, "https://evil.example"), 403);
  // DNS rebinding: a hostile name resolving to us still carries its own origin.
  assertEquals(await upgradeStatus(gw.url, `http://rebind.example:${port}`), 403);
  assertEquals(await upgradeStatus(gw.url, `http://127.0.0.1:${port}`), 101);
  assertEquals(await upgradeStatus(gw.url, `http://localhost:${port}`), 101);
  assertEquals(await upgradeStatus(gw.url, "https://app.example"), 101);
  assertEquals(await upgradeStatus(gw.url), 101); // CLI and SDK clients send no Origin
});

Deno.test("a connection over its request rate gets RATE_LIMITED", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { limits: { requestsPerSecond: 1, requestBurst: 3 } } },
  });
  const client = await gw.connect();
  const results = await Promise.allSettled(
    Array.from({ length: 6 }, () => client.request("health")),
  );
  const limited = results.filter((r) =>
    r.status === "rejected" && (r.reason as GatewayError).code === "RATE_LIMITED"
  );
  assertEquals(results.filter((r) => r.status === "fulfilled").length, 3);
  assertEquals(limited.length, 3);
});

Deno.test("password auth accepts the password and refuses tokens", async () => {
  await using gw = await startTestGateway({
    authToken: null,
    config: { gateway: { auth: { mode: "password", password: "correct horse battery" } } },
  });
  const client = await gw.connect({ token: undefined, password: "correct horse battery" });
  assertEquals((await client.request("health")).status, "ok");
  const error = await assertRejects(
    () => gw.connect({ token: undefined, password: "nope" }),
    GatewayError,
  );
  assertEquals(error.code, "AUTH_REQUIRED");
});

Deno.test("a loopback gateway without any token generates one into a 0600 file", async () => {
  await using gw = await startTestGateway({ authToken: null });
  assertEquals(gw.gateway.auth.mode, "token");
  const info = await Deno.stat(gw.paths.tokenFile);
  assertEquals(info.mode! & 0o777, 0o600);
  const token = (await Deno.readTextFile(gw.paths.tokenFile)).trim();
  assert(token.length >= 32);
  const client = await connectChecked(gw.url, { token });
  assertEquals(client.hello?.protocol, 3);
  client.close();
  await client.closed;
});

Deno.test("resolveGatewayAuth refuses a non-loopback bind without an explicit token", async () => {
  const { config } = validateConfig({}, {});
  const dir = await Deno.makeTempDir();
  try {
    const sources = { env: {}, config, tokenFile: `${dir}/gateway.token`, bindHost: "0.0.0.0" };
    await assertRejects(() => resolveGatewayAuth(sources), Error, "explicit auth token");
    const withFlag = await resolveGatewayAuth({ ...sources, flagToken: "a-long-enough-token-123" });
    assertEquals(withFlag.mode, "token");
    const fromEnv = await resolveGatewayAuth({
      ...sources,
      env: { PYCLAW_AUTH_TOKEN: "env-token-0123456789" },
    });
    assertEquals(fromEnv.mode === "token" && fromEnv.source, "env");
    const none = validateConfig({ gateway: { auth: { mode: "none" } } }, {}).config;
    await assertRejects(() => resolveGatewayAuth({ ...sources, config: none }), Error, "loopback");
    const noneLoopback = await resolveGatewayAuth({
      ...sources,
      config: none,
      bindHost: "127.0.0.1",
    });
    assertEquals(noneLoopback.mode, "none");
    // Precedence: flag over env over config.
    const cfg = validateConfig({ gateway: { auth: { token: "config-token-0123456" } } }, {}).config;
    const both = await resolveGatewayAuth({
      ...sources,
      config: cfg,
      flagToken: "flag-token-01234567",
      env: { PYCLAW_AUTH_TOKEN: "env-token-0123456789" },
    });
    assertEquals(both.mode === "token" && both.token, "flag-token-01234567");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("secretsEqual compares whole secrets only", () => {
  assert(secretsEqual("abc", "abc"));
  assert(!secretsEqual("abc", "abd"));
  assert(!secretsEqual("abc", "abcd"));
  assert(!secretsEqual("", "abc"));
});

Deno.test("HTTP: /health answers JSON, unknown paths 404 JSON, foreign origins 403", async () => {
  await using gw = await startTestGateway({ httpPort: 0 });
  for (const base of [gw.baseUrl, `http://127.0.0.1:${gw.gateway.httpPort}`]) {
    const health = await fetch(`${base}/health`);
    assertEquals(health.headers.get("content-type")?.startsWith("application/json"), true);
    assertEquals((await health.json()).status, "ok");
    const missing = await fetch(`${base}/nothing-here`);
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
  }
  const foreign = await fetch(`${gw.baseUrl}/v1/models`, {
    headers: { origin: "https://evil.example" },
  });
  assertEquals(foreign.status, 403);
  await foreign.body?.cancel();
});

Deno.test("a raw socket that sends garbage before connect is closed", async () => {
  await using gw = await startTestGateway();
  const raw = await openRawSocket(gw.url);
  raw.socket.send("garbage");
  const frame = await raw.next() as { ok: boolean; error: { code: string } };
  assertEquals(frame.error.code, "AUTH_REQUIRED");
  assertEquals((await raw.closed).code, 1008);
});

Deno.test({
  name:
    "resolveGatewayAuth makes a loose token file owner-only, but never changes a symbolic link's target: it reports it",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const { config } = validateConfig({}, {});
    const dir = await Deno.makeTempDir();
    try {
      const tokenFile = `${dir}/gateway.token`;
      const sources = { env: {}, config, tokenFile, bindHost: "127.0.0.1" };
      await Deno.writeTextFile(tokenFile, "file-token-0123456789abcdef\n");
      await Deno.chmod(tokenFile, 0o640);
      const plain = await resolveGatewayAuth(sources);
      assert(plain.mode === "token");
      assertEquals(plain.looseFile, { mode: 0o640, tightened: true });
      assertEquals((await Deno.stat(tokenFile)).mode! & 0o777, 0o600);
      // Tight already: nothing to say.
      const again = await resolveGatewayAuth(sources);
      assertEquals(again.mode === "token" && again.looseFile, undefined);

      // A link to a file the user keeps elsewhere, readable by others.
      const shared = `${dir}/shared-token`;
      await Deno.writeTextFile(shared, "shared-token-0123456789abcdef\n");
      await Deno.chmod(shared, 0o644);
      await Deno.remove(tokenFile);
      await Deno.symlink(shared, tokenFile);
      const linked = await resolveGatewayAuth(sources);
      assert(linked.mode === "token" && linked.token.startsWith("shared"));
      assertEquals(linked.looseFile, {
        mode: 0o644,
        tightened: false,
        target: await Deno.realPath(shared),
      });
      assertEquals((await Deno.stat(shared)).mode! & 0o777, 0o644);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
