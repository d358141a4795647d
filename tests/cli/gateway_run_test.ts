/**
 * @module `gateway run` on a config it started on before (cli/gateway_run.ts): it listens from
 * the start memo, enforces auth as ever, and validates an edited config afresh, so an invalid
 * one is refused as before and a damaged memo never leaves a gateway serving on it.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { PYCLAW, runPyclaw } from "../_helpers/cli.ts";
import { freePort } from "../_helpers/net.ts";
import { startMemoKey, writeStartMemo } from "../../core/config/start_memo.ts";

/**
 * How each start's gateway came to listen, oldest first, as its log says: by the start memo, or
 * by the config validated before it listened. The log is the one place that tells the two apart
 * (both listen on the same port and answer the same), so a memo that stopped being used, or
 * one used for an edited config, shows here.
 */
async function listenedBy(stateDir: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(stateDir, "logs", "pyclaw.log"));
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line))
    .filter((record) => record.msg === "config validated")
    .map((record) => record.listenedBy);
}

/** Starts `gateway run` and waits for its ready line; returns the URL and a stop function. */
async function startGateway(stateDir: string) {
  const child = new Deno.Command(PYCLAW, {
    args: ["gateway", "run"],
    env: { PYCLAW_STATE_DIR: stateDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    out += value;
  }
  lines.releaseLock();
  return {
    url: out.match(/ready: (ws:\/\/[^,\s]+)/)?.[1],
    async stop() {
      child.kill("SIGTERM");
      const { code } = await child.status;
      await child.stdout.cancel().catch(() => {});
      return code;
    },
  };
}

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
    assertEquals(remembered.facts.port, first);

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

Deno.test("gateway run stops, and forgets the memo, when the memo disagrees with the config", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-memo-" });
  const config = join(dir, "pyclaw.json");
  const memo = join(dir, "cache", "gateway-start.json");
  try {
    const port = freePort();
    const text = JSON.stringify({ gateway: { port }, logging: { consoleLevel: "silent" } });
    await Deno.writeTextFile(config, text);
    // A memo under the right key whose facts the config does not say (another port).
    const key = await startMemoKey(config, text, {});
    assert(key);
    await writeStartMemo(memo, key, {
      bind: "loopback",
      port: freePort(),
      httpPort: false,
      auth: { mode: "token", tokenSet: false, passwordSet: false },
      logging: { level: "info", consoleLevel: "silent", maxFileBytes: 1_000_000, maxFiles: 1 },
    });
    const result = await runPyclaw(["gateway", "run"], { stateDir: dir });
    assertEquals(result.code, 1);
    assertMatch(result.stderr, /did not match the config/);
    assertEquals(await Deno.stat(memo).then(() => true, () => false), false);
    const again = await startGateway(dir);
    assertEquals(again.url, `ws://127.0.0.1:${port}`);
    assertEquals(await again.stop(), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
