/**
 * @module `gateway run` on a config it started on before (cli/gateway_run.ts): it starts from
 * the start memo, enforces auth as ever (secrets read again from the text and environment),
 * validates an edited config afresh, so an invalid one is refused as before, validates a file
 * edited while it runs, and never starts from a damaged memo.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { runPyclaw } from "../_helpers/cli.ts";
import { listenedBy, startGateway } from "../_helpers/memo_gateway.ts";
import { freePort } from "../_helpers/net.ts";

Deno.test("gateway run listens from the start memo of an unchanged config, and validates an edited one afresh", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-memo-" });
  const config = join(dir, "pyclaw.json");
  const memo = join(dir, "cache", "gateway-start.json");
  const writeConfig = (port: number) =>
    Deno.writeTextFile(
      config,
      JSON.stringify({
        gateway: { port, http: { port: false } },
        logging: { consoleLevel: "silent" },
      }),
    );
  try {
    const first = freePort();
    await writeConfig(first);
    const cold = await startGateway(dir);
    assertEquals(cold.url, `ws://127.0.0.1:${first}`);
    assertEquals(await cold.stop(), 0);
    const remembered = JSON.parse(await Deno.readTextFile(memo));
    assertEquals(remembered.config.template.gateway.port, first);

    // The same config again: listens from the memo, and auth holds from the first request.
    const warm = await startGateway(dir);
    assertEquals(warm.url, `ws://127.0.0.1:${first}`);
    const token = (await Deno.readTextFile(join(dir, "gateway.token"))).trim();
    const call = (secret: string) =>
      runPyclaw(["gateway", "call", "health", "--url", warm.url!, "--token", secret], {
        stateDir: dir,
      });
    const refused = await call("wrong-token");
    assertEquals(refused.code, 1);
    assertMatch(refused.stderr, /AUTH_REQUIRED/);
    const answered = await call(token);
    assertEquals(answered.code, 0, answered.stderr);
    assertEquals(JSON.parse(answered.stdout).status, "ok");
    assertEquals(await warm.stop(), 0);
    assertEquals(await listenedBy(dir), ["validated config", "start memo"]);

    // An edit the memo has not seen is validated before anything listens.
    await Deno.writeTextFile(config, "{ gateway: { port: -5 } }");
    const invalid = await runPyclaw(["gateway", "run"], { stateDir: dir });
    assertEquals(invalid.code, 1);
    assertMatch(invalid.stderr, /gateway\.port/);
    const second = freePort();
    await writeConfig(second);
    const edited = await startGateway(dir);
    assertEquals(edited.url, `ws://127.0.0.1:${second}`);
    assertEquals(await edited.stop(), 0);
    assertEquals(await listenedBy(dir), ["validated config", "start memo", "validated config"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The gateway's log records so far, each parsed. */
async function logRecords(stateDir: string): Promise<Record<string, unknown>[]> {
  const text = await Deno.readTextFile(join(stateDir, "logs", "pyclaw.log")).catch(() => "");
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

/** Polls the log until a record matches; the gateway's file watcher decides when. */
async function logged(stateDir: string, match: (record: Record<string, unknown>) => boolean) {
  for (;;) {
    const found = (await logRecords(stateDir)).find(match);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

Deno.test("gateway run from the start memo reads its secrets from the environment again, and keeps none in the memo", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-memo-" });
  try {
    const port = freePort();
    await Deno.writeTextFile(
      join(dir, "pyclaw.json"),
      JSON.stringify({
        gateway: { port, http: { port: false }, auth: { token: "${MEMO_TEST_TOKEN}" } },
        logging: { consoleLevel: "silent" },
      }),
    );
    const secret = "memo-test-token-0123456789abcdef";
    const call = (url: string, token: string) =>
      runPyclaw(["gateway", "call", "health", "--url", url, "--token", token], { stateDir: dir });
    for (const start of ["validated config", "start memo"]) {
      const gateway = await startGateway(dir, { MEMO_TEST_TOKEN: secret });
      assertEquals(gateway.url, `ws://127.0.0.1:${port}`);
      assertEquals((await call(gateway.url!, "wrong-token")).code, 1);
      const answered = await call(gateway.url!, secret);
      assertEquals(answered.code, 0, answered.stderr);
      assertEquals(await gateway.stop(), 0);
      assertEquals((await listenedBy(dir)).at(-1), start);
    }
    const memo = await Deno.readTextFile(join(dir, "cache", "gateway-start.json"));
    assert(!memo.includes(secret), "the token reached the memo");
    // Another value of the variable is another input: validated, and the new token holds.
    const other = "memo-test-token-other-456789abcdef";
    const again = await startGateway(dir, { MEMO_TEST_TOKEN: other });
    assertEquals((await call(again.url!, secret)).code, 1);
    assertEquals((await call(again.url!, other)).code, 0);
    assertEquals(await again.stop(), 0);
    assertEquals((await listenedBy(dir)).at(-1), "validated config");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gateway run started from the start memo validates the config file edited while it runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-memo-" });
  const config = join(dir, "pyclaw.json");
  try {
    const port = freePort();
    const write = (level: string, extra: Record<string, unknown> = {}) =>
      Deno.writeTextFile(
        config,
        JSON.stringify({
          gateway: { port, http: { port: false }, ...extra },
          logging: { consoleLevel: "silent", level },
        }),
      );
    await write("info");
    assertEquals(await (await startGateway(dir)).stop(), 0);
    const gateway = await startGateway(dir);
    try {
      assertEquals(await listenedBy(dir), ["validated config", "start memo"]);
      await write("info", { bind: 42 });
      const failed = await logged(
        dir,
        (r) => r.msg === "config reload failed; keeping the last good config",
      );
      assertMatch(String(failed.error), /gateway\.bind/);
      await write("debug");
      const reloaded = await logged(dir, (r) => r.msg === "config reloaded");
      assertEquals(reloaded.changed, ["logging"]);
    } finally {
      assertEquals(await gateway.stop(), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
