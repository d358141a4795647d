/**
 * @module The start memo (core/config/start_memo.ts): its key covers everything a validated
 * config depends on, it is read back only under that key and undamaged, and it holds no string
 * the config text or the environment gave (so no secret).
 */

import { assert, assertEquals, assertNotEquals } from "../../_helpers/assert.ts";
import { loadConfigText } from "../../../core/config/load.ts";
import { configFromMemo, memoOfConfig, substitutedText } from "../../../core/config/config_memo.ts";
import { substitutedEnvNames } from "../../../core/config/config_text.ts";
import JSON5 from "json5";
import {
  CONFIG_VALIDATION_MODULES,
  readStartMemo,
  startFacts,
  startMemoKey,
  writeStartMemo,
} from "../../../core/config/start_memo.ts";

const root = new URL("../../../", import.meta.url);

/**
 * A temporary state dir's memo paths and the memo of an empty config; removed on dispose.
 */
async function memoPlace() {
  const dir = await Deno.makeTempDir();
  const cache = `${dir}/cache`;
  const { config, warnings } = loadConfigText("{}", "/x/pyclaw.json", {});
  return {
    dir,
    cache,
    file: `${cache}/gateway-start.json`,
    secret: `${cache}/gateway-start.key`,
    memo: memoOfConfig(config, {}, warnings)!,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

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
    startMemoKey(file, body, substitutedEnvNames(body ? JSON5.parse(body) : {}), env);
  const base = await key("/a/pyclaw.json", text, { GW_TOKEN: "one", OTHER: "x" });
  assert(base && /^[0-9a-f]{64}$/.test(base), `not a digest: ${base}`);
  assertEquals(await key("/a/pyclaw.json", text, { GW_TOKEN: "one", OTHER: "y" }), base);
  assertNotEquals(await key("/a/pyclaw.json", text, { GW_TOKEN: "two" }), base);
  assertNotEquals(await key("/a/pyclaw.json", text, {}), base);
  assertNotEquals(await key("/b/pyclaw.json", text, { GW_TOKEN: "one" }), base);
  assertNotEquals(await key("/a/pyclaw.json", text + " ", { GW_TOKEN: "one" }), base);
  assertNotEquals(await key("/a/pyclaw.json", undefined, { GW_TOKEN: "one" }), base);
});

Deno.test("the variables in the key are those substitution reads from the parsed strings, escaped or not", () => {
  const names = (text: string) => substitutedEnvNames(JSON5.parse(text));
  assertEquals(names('{"a": "\\u0024{ESC}", "b": ["x\\u0024{B}y"], "c": "$${NOT}"}'), [
    "B",
    "ESC",
  ]);
  assertEquals(names('{a: "$\\\n{CONT}", /* ${COMMENT} */ b: 1, "${KEY}": "v"}'), ["CONT"]);
});

Deno.test("a start memo is read back under its own key only, never damaged, and holds no string of the text's or the environment's", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/cache/gateway-start.json`;
    const env = { GW_TOKEN: "secret-token-value" };
    const text = JSON.stringify({
      gateway: { port: 4321, bind: "lan", auth: { token: "${GW_TOKEN}" } },
      models: { providers: { p: { baseUrl: "http://10.0.0.1/v1", apiKey: "sk-in-the-file" } } },
      extra: true,
    });
    const { config, warnings } = loadConfigText(text, "/x/pyclaw.json", env);
    const { substituted } = await substitutedText(text, env);
    const memo = memoOfConfig(config, substituted, warnings);
    assert(memo, "no memo was made");
    await writeStartMemo(file, "k1", memo);
    const written = await Deno.readTextFile(file);
    for (const secret of ["secret-token-value", "sk-in-the-file", "10.0.0.1"]) {
      assert(!written.includes(secret), `${secret} reached the memo`);
    }
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    const read = await readStartMemo(file, "k1");
    assertEquals(read, memo);
    assertEquals(configFromMemo(read!, substituted), config);
    assertEquals(startFacts(configFromMemo(read!, substituted)!).port, 4321);
    assertEquals(read!.warnings, [{ path: "extra", message: "Unknown key (ignored)" }]);
    assertEquals(await readStartMemo(file, "k2"), undefined);
    // Damaged: cut short, or changed anywhere (the digest no longer matches).
    await Deno.writeTextFile(file, written.slice(0, 40));
    assertEquals(await readStartMemo(file, "k1"), undefined);
    await Deno.writeTextFile(file, written.replace('"port":4321', '"port":4322'));
    assertEquals(await readStartMemo(file, "k1"), undefined);
    assertEquals(await readStartMemo(`${dir}/none.json`, "k1"), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a start memo is believed only when it, its dir and the secret are this user's alone and it is signed with that secret", async () => {
  await using place = await memoPlace();
  const { dir, cache, file, secret, memo } = place;
  await writeStartMemo(file, "k1", memo);
  assertEquals((await Deno.stat(cache)).mode! & 0o777, 0o700);
  assertEquals((await Deno.stat(secret)).mode! & 0o777, 0o600);
  assertEquals(await readStartMemo(file, "k1"), memo);
  // Writable by others: the memo, its dir or the secret.
  for (
    const [path, loose, tight] of [[file, 0o622, 0o600], [cache, 0o777, 0o700], [
      secret,
      0o606,
      0o600,
    ]] as const
  ) {
    await Deno.chmod(path, loose);
    assertEquals(await readStartMemo(file, "k1"), undefined, `${path} ${loose.toString(8)}`);
    await Deno.chmod(path, tight);
    assertEquals(await readStartMemo(file, "k1"), memo);
  }
  // A link in the memo's place, even to the memo itself.
  await Deno.rename(file, `${dir}/elsewhere.json`);
  await Deno.symlink(`${dir}/elsewhere.json`, file);
  assertEquals(await readStartMemo(file, "k1"), undefined);
  await Deno.remove(file);
  await Deno.rename(`${dir}/elsewhere.json`, file);
  assertEquals(await readStartMemo(file, "k1"), memo);
  // Another install's secret (or none): the digest no longer holds.
  await Deno.writeFile(secret, crypto.getRandomValues(new Uint8Array(32)));
  assertEquals(await readStartMemo(file, "k1"), undefined);
  await Deno.remove(secret);
  assertEquals(await readStartMemo(file, "k1"), undefined);
  // Written again, a new secret signs it.
  await writeStartMemo(file, "k1", memo);
  assertEquals(await readStartMemo(file, "k1"), memo);
});

Deno.test("writing a memo repairs what would refuse every later one: a group-writable cache dir of this user's, a short secret", async () => {
  await using place = await memoPlace();
  const { cache, file, secret, memo } = place;
  // As an earlier version made it under umask 002.
  await Deno.mkdir(cache);
  await Deno.chmod(cache, 0o775);
  await writeStartMemo(file, "k1", memo);
  assertEquals((await Deno.stat(cache)).mode! & 0o777, 0o700);
  assertEquals(await readStartMemo(file, "k1"), memo);
  // A start killed between creating the secret and writing it.
  await Deno.writeFile(secret, new Uint8Array(0));
  assertEquals(await readStartMemo(file, "k1"), undefined);
  await writeStartMemo(file, "k1", memo);
  assertEquals((await Deno.stat(secret)).size, 32);
  assertEquals((await Deno.stat(secret)).mode! & 0o777, 0o600);
  assertEquals(await readStartMemo(file, "k1"), memo);
  assertEquals([...Deno.readDirSync(cache)].map((e) => e.name).sort(), [
    "gateway-start.json",
    "gateway-start.key",
  ]);
});

Deno.test("writing a memo replaces a link planted at its name, never writing through it", async () => {
  await using place = await memoPlace();
  const { dir, cache, file, memo } = place;
  const victim = `${dir}/victim.txt`;
  await Deno.writeTextFile(victim, "precious");
  await Deno.chmod(victim, 0o644);
  // Planted while the cache dir was group-writable; writing the memo tightens the dir first.
  await Deno.mkdir(cache);
  await Deno.chmod(cache, 0o775);
  await Deno.symlink(victim, file);
  await writeStartMemo(file, "k1", memo);
  assertEquals(await Deno.readTextFile(victim), "precious");
  assertEquals((await Deno.stat(victim)).mode! & 0o777, 0o644);
  assert((await Deno.lstat(file)).isFile);
  assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
  assertEquals(await readStartMemo(file, "k1"), memo);
  assertEquals([...Deno.readDirSync(cache)].map((e) => e.name).sort(), [
    "gateway-start.json",
    "gateway-start.key",
  ]);
});
