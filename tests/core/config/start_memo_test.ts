/**
 * @module The start memo (core/config/start_memo.ts): its key covers everything a validated
 * config depends on, it is read back only under that key, and it holds no secret.
 */

import { assert, assertEquals, assertNotEquals } from "../../_helpers/assert.ts";
import { validateConfig } from "../../../core/config/load.ts";
import {
  CONFIG_VALIDATION_MODULES,
  readStartMemo,
  startFacts,
  startMemoKey,
  writeStartMemo,
} from "../../../core/config/start_memo.ts";

const root = new URL("../../../", import.meta.url);

Deno.test("the start memo's key reads every module the config validation loads", async () => {
  const output = await new Deno.Command(`${root.pathname}node_modules/.bin/deno`, {
    args: ["info", "--json", "core/config/load.ts"],
    cwd: root.pathname,
    stdout: "piped",
    stderr: "null",
  }).output();
  assertEquals(output.code, 0);
  const { modules } = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  const graph = modules.map((m) => m.specifier)
    .filter((s) => s.startsWith(root.href) && !s.includes("/node_modules/"));
  const listed = CONFIG_VALIDATION_MODULES.map((path) =>
    new URL(path, new URL("core/config/", root)).href
  );
  assertEquals([...listed].sort(), [...graph].sort());
});

Deno.test("the start memo's key changes with the file, its text and the variables it names only", async () => {
  const text = '{ gateway: { auth: { token: "${GW_TOKEN}" } } }';
  const key = (file: string, body: string | undefined, env: Record<string, string>) =>
    startMemoKey(file, body, env);
  const base = await key("/a/pyclaw.json", text, { GW_TOKEN: "one", OTHER: "x" });
  assert(base && /^[0-9a-f]{64}$/.test(base), `not a digest: ${base}`);
  assertEquals(await key("/a/pyclaw.json", text, { GW_TOKEN: "one", OTHER: "y" }), base);
  assertNotEquals(await key("/a/pyclaw.json", text, { GW_TOKEN: "two" }), base);
  assertNotEquals(await key("/a/pyclaw.json", text, {}), base);
  assertNotEquals(await key("/b/pyclaw.json", text, { GW_TOKEN: "one" }), base);
  assertNotEquals(await key("/a/pyclaw.json", text + " ", { GW_TOKEN: "one" }), base);
  assertNotEquals(await key("/a/pyclaw.json", undefined, { GW_TOKEN: "one" }), base);
});

Deno.test("a start memo is read back under its own key only, never damaged, and holds no secret", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/cache/gateway-start.json`;
    const env = { GW_TOKEN: "secret-token-value" };
    const { config } = validateConfig(
      { gateway: { port: 4321, bind: "lan", auth: { token: "${GW_TOKEN}" } } },
      env,
    );
    const facts = startFacts(config);
    assertEquals(facts.port, 4321);
    assertEquals(facts.auth, { mode: "token", tokenSet: true, passwordSet: false });
    await writeStartMemo(file, "k1", facts);
    const written = await Deno.readTextFile(file);
    assert(!written.includes("secret-token-value"), "the token reached the memo");
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    assertEquals(await readStartMemo(file, "k1"), facts);
    assertEquals(await readStartMemo(file, "k2"), undefined);
    await Deno.writeTextFile(file, written.slice(0, 40));
    assertEquals(await readStartMemo(file, "k1"), undefined);
    await Deno.writeTextFile(file, JSON.stringify({ key: "k1", facts: { ...facts, port: -1 } }));
    assertEquals(await readStartMemo(file, "k1"), undefined);
    assertEquals(await readStartMemo(`${dir}/none.json`, "k1"), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
