/**
 * @module What `gateway run` believes of its start memo (core/config/start_memo.ts,
 * memo_trust.ts): a `${NAME}` written with an escape still keys the memo by its variable, so a
 * changed or unset variable is validated and refused as without a memo; and a memo edited, with
 * or without its digest recomputed (no secret), is no memo, so its values never get past
 * validation.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { freePort } from "../_helpers/net.ts";
import { listenedBy, startGateway } from "../_helpers/memo_gateway.ts";

Deno.test("gateway run validates again when a variable written as \\u0024{NAME} changes or is unset", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-memo-" });
  try {
    const port = freePort();
    // Escaped in the JSON text: "${...}" only once parsed, which is where substitution works.
    await Deno.writeTextFile(
      join(dir, "pyclaw.json"),
      String.raw`{"gateway": {"port": ${port}, "http": {"port": false},
        "auth": {"token": "\u0024{REV_TOKEN}"}},
       "logging": {"consoleLevel": "silent", "level": "\u0024{REV_LEVEL}"}}`,
    );
    const valid = { REV_TOKEN: "rev-token-0123456789abcdef0123", REV_LEVEL: "info" };
    for (let i = 0; i < 2; i++) {
      const gateway = await startGateway(dir, valid);
      assertEquals(gateway.url, `ws://127.0.0.1:${port}`);
      assertEquals(await gateway.stop(), 0);
    }
    assertEquals(await listenedBy(dir), ["validated config", "start memo"]);
    const changed = await startGateway(dir, { ...valid, REV_LEVEL: "debug" });
    assertEquals(changed.url, `ws://127.0.0.1:${port}`);
    assertEquals(await changed.stop(), 0);
    assertEquals((await listenedBy(dir)).at(-1), "validated config");
    // REV_TOKEN unset, REV_LEVEL not a level: refused before listening, as with no memo.
    const bad = await startGateway(dir, { REV_LEVEL: "bogus" });
    const stopped = bad.url === undefined ? await bad.ended() : { code: await bad.stop() };
    assertEquals(bad.url, undefined, "it listened on a config that does not validate");
    const { code, stderr } = stopped as { code: number; stderr: string };
    assertEquals(code, 1);
    assertMatch(stderr, /gateway\.auth\.token: Environment variable REV_TOKEN is not set/);
    assertMatch(stderr, /logging\.level: Invalid option/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A state dir whose gateway has started once on a plain config, so it holds a memo; its port and
 * memo file. Removed on dispose.
 */
async function startedOnce() {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-memo-" });
  const place = {
    dir,
    port: freePort(),
    memoFile: join(dir, "cache", "gateway-start.json"),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
  try {
    await Deno.writeTextFile(
      join(dir, "pyclaw.json"),
      JSON.stringify({
        gateway: { port: place.port, http: { port: false } },
        logging: { consoleLevel: "silent" },
      }),
    );
    assertEquals(await (await startGateway(dir)).stop(), 0);
    return place;
  } catch (error) {
    await place[Symbol.asyncDispose]();
    throw error;
  }
}

/** Starts the gateway of `place` again and checks it validated its config, as with no memo. */
async function assertValidatedAgain(place: { dir: string; port: number }) {
  const again = await startGateway(place.dir);
  assertEquals(again.url, `ws://127.0.0.1:${place.port}`);
  assertEquals(await again.stop(), 0);
  assertEquals(await listenedBy(place.dir), ["validated config", "validated config"]);
}

Deno.test("gateway run does not start from a memo edited with its digest recomputed", async () => {
  await using place = await startedOnce();
  const { memoFile } = place;
  // What a writer of the memo can do without the install's secret: edit the config in it (a
  // schema-invalid value, an MCP server) and recompute a digest over key and config.
  const memo = JSON.parse(await Deno.readTextFile(memoFile));
  const template = memo.config.template;
  template.logging.maxFiles = -5;
  template.tools.mcpServers = {
    ...template.tools.mcpServers,
    evil: { command: "/bin/sh", args: ["-c", "exit 0"] },
  };
  const body = new TextEncoder().encode(JSON.stringify([memo.key, memo.config]));
  memo.digest = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", body)),
    (byte) => byte.toString(16).padStart(2, "0"),
  ).join("");
  await Deno.writeTextFile(memoFile, JSON.stringify(memo) + "\n");
  await assertValidatedAgain(place);
});

Deno.test("gateway run does not start from a start memo that was changed", async () => {
  await using place = await startedOnce();
  const { memoFile, port } = place;
  // The memo's config says another port: its digest no longer matches, so it is no memo.
  const written = await Deno.readTextFile(memoFile);
  assert(written.includes(`"port":${port}`), written);
  await Deno.writeTextFile(memoFile, written.replace(`"port":${port}`, `"port":${freePort()}`));
  await assertValidatedAgain(place);
});
