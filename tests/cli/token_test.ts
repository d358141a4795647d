import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertNotEquals } from "../_helpers/assert.ts";
import { runPyclaw } from "../_helpers/cli.ts";
import { startTestGateway } from "../_helpers/gateway.ts";
import { GatewayClient } from "../../core/protocol/client.ts";
import { GatewayError } from "../../core/errors.ts";
import { claimStateDir } from "../../core/state_owner.ts";

async function refused(url: string, token: string): Promise<string> {
  try {
    // A refusal answers at once; the limit only bounds an acceptance on a loaded machine.
    const client = await GatewayClient.connect(url, { token, timeoutMs: 20_000 });
    client.close();
    await client.closed;
    return "accepted";
  } catch (error) {
    return error instanceof GatewayError ? error.code : (error as Error).message;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) =>
      timer = setTimeout(() => reject(new Error(`Timed out: ${what}`)), ms)
    ),
  ]);
}

Deno.test("pyclaw token rotate replaces the token file and the running gateway drops the old token", async () => {
  await using gw = await startTestGateway({ authToken: null });
  await Deno.writeTextFile(gw.configPath, JSON.stringify({ gateway: { port: gw.gateway.port } }));
  const oldToken = gw.token!;
  const shown = await runPyclaw(["token", "show", "--json"], { stateDir: gw.stateDir });
  const before = JSON.parse(shown.stdout);
  assertEquals(before.source, "file");
  assert(!shown.stdout.includes(oldToken), "token show printed the whole token");
  const revealed = await runPyclaw(["token", "show", "--reveal"], { stateDir: gw.stateDir });
  assertMatch(revealed.stdout, new RegExp(`^${oldToken} `));

  const open = await gw.connect({ token: oldToken });
  const rotated = await runPyclaw(["token", "rotate", "--json"], { stateDir: gw.stateDir });
  assertEquals(rotated.code, 0, rotated.stderr);
  const result = JSON.parse(rotated.stdout);
  assertEquals(result.gateway, { running: true, accepted: true, url: gw.url });
  const newToken = (await Deno.readTextFile(join(gw.stateDir, "gateway.token"))).trim();
  assertNotEquals(newToken, oldToken);
  assert(!rotated.stdout.includes(newToken));

  // What the old token opened is closed, and it opens nothing new.
  const closed = await withTimeout(open.closed, 20_000, "old connection closed");
  assertEquals(closed.code, 1008);
  assertEquals(await refused(gw.url, oldToken), "AUTH_REQUIRED");
  assertEquals(await refused(gw.url, newToken), "accepted");
  const http = await fetch(`${gw.baseUrl}/v1/models`, {
    headers: { authorization: `Bearer ${oldToken}` },
  });
  await http.body?.cancel();
  assertEquals(http.status, 401);
  // The CLI finds the new token by itself.
  const probe = await runPyclaw(["gateway", "probe"], { stateDir: gw.stateDir });
  assertEquals(probe.code, 0, probe.stderr);
});

Deno.test("pyclaw token rotate changes a token kept in the config, and refuses one from the environment", async () => {
  await using gw = await startTestGateway({
    authToken: null,
    watch: true,
    config: { gateway: { auth: { token: "config-token-0123456789" } } },
  });
  const config = JSON.parse(await Deno.readTextFile(gw.configPath));
  await Deno.writeTextFile(
    gw.configPath,
    JSON.stringify({ ...config, gateway: { ...config.gateway, port: gw.gateway.port } }),
  );
  const rotated = await runPyclaw(["token", "rotate", "--json", "--reveal"], {
    stateDir: gw.stateDir,
  });
  assertEquals(rotated.code, 0, rotated.stderr);
  const result = JSON.parse(rotated.stdout);
  assertEquals(result.source, "config");
  assertEquals(result.gateway.accepted, true);
  const written = JSON.parse(await Deno.readTextFile(gw.configPath));
  assertEquals(written.gateway.auth.token, result.token);
  assertEquals(await refused(gw.url, "config-token-0123456789"), "AUTH_REQUIRED");

  const fromEnv = await runPyclaw(["token", "rotate"], {
    stateDir: gw.stateDir,
    env: { PYCLAW_AUTH_TOKEN: "env-token-abcdefghijkl" },
  });
  assertEquals(fromEnv.code, 1);
  assertMatch(fromEnv.stderr, /comes from PYCLAW_AUTH_TOKEN/);

  await runPyclaw([
    "config",
    "set",
    "gateway.auth",
    '{"mode":"password","password":"pw-123456789"}',
  ], {
    stateDir: gw.stateDir,
  });
  const password = await runPyclaw(["token", "rotate"], { stateDir: gw.stateDir });
  assertEquals(password.code, 1);
  assertMatch(password.stderr, /gateway\.auth\.mode is password/);
});

Deno.test("pyclaw token show says what is in force: no token in password mode, or the running gateway's --auth-token, which rotate refuses to replace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-token-" });
  try {
    await Deno.writeTextFile(
      join(dir, "pyclaw.json"),
      JSON.stringify({ gateway: { auth: { mode: "password", password: "a-long-password-123" } } }),
    );
    const password = await runPyclaw(["token", "show"], { stateDir: dir });
    assertEquals(password.code, 0, password.stderr);
    assertEquals(password.stdout, "gateway.auth.mode is password, so the gateway uses no token\n");
    const json = JSON.parse(
      (await runPyclaw(["token", "show", "--json"], { stateDir: dir })).stdout,
    );
    assertEquals([json.mode, json.inForce], ["password", false]);

    // A gateway started with --auth-token records that it was (not the secret itself).
    await Deno.writeTextFile(join(dir, "pyclaw.json"), "{}");
    const claim = await claimStateDir(dir);
    await claim.record({
      url: "ws://127.0.0.1:9",
      port: 9,
      bind: "127.0.0.1",
      configPath: join(dir, "pyclaw.json"),
      flags: { authToken: true },
    });
    try {
      const flagged = await runPyclaw(["token", "show"], { stateDir: dir });
      assertMatch(flagged.stdout, /^The running gateway \(pid \d+\) was started with --auth-token/);
      assert(!flagged.stdout.includes("No token yet"), flagged.stdout);
      // Rotating a token that gateway never reads is refused, and nothing is written.
      const rotate = await runPyclaw(["token", "rotate"], { stateDir: dir });
      assertEquals(rotate.code, 1);
      assertMatch(
        rotate.stderr,
        /^Error: The running gateway \(pid \d+\) was started with --auth-token, which it uses instead of a token written down.*pyclaw gateway restart --auth-token <token>/,
      );
      assertEquals(rotate.stdout, "");
      assertEquals(await Deno.stat(join(dir, "gateway.token")).catch(() => "absent"), "absent");
      assertEquals(await Deno.readTextFile(join(dir, "pyclaw.json")), "{}");
    } finally {
      claim.release();
    }
    const fresh = await runPyclaw(["token", "show"], { stateDir: dir });
    assertMatch(fresh.stdout, /^No token yet: the gateway generates .*gateway\.token/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
