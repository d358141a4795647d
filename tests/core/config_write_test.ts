/**
 * @module Config writes as a user meets them: a file that already has an unknown key, a
 * hand-written JSON5 file with comments, and hostile values (prototype keys, absurd depth).
 */

import JSON5 from "json5";
import { assert, assertEquals, assertRejects } from "../_helpers/assert.ts";
import { ConfigStore } from "../../core/config/store.ts";
import { GatewayError } from "../../core/errors.ts";

async function withFile(text: string, fn: (store: ConfigStore, file: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-config-write-" });
  const file = `${dir}/pyclaw.json`;
  await Deno.writeTextFile(file, text);
  const store = await ConfigStore.open(file, { env: {} });
  try {
    await fn(store, file);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("ConfigStore: a file with an unknown key still takes writes; only new unknown keys are refused", async () => {
  await withFile(
    '{ "gateway": { "port": 1000, "oldKey": true }, "legacy": 1 }\n',
    async (store, file) => {
      assertEquals(store.warnings.map((w) => w.path).sort(), ["gateway.oldKey", "legacy"]);
      await store.set("gateway.port", 2000);
      await store.patch({ logging: { level: "debug" } });
      const written = JSON5.parse(await Deno.readTextFile(file));
      assertEquals(written.gateway, { port: 2000, oldKey: true });
      assertEquals(written.legacy, 1);
      assertEquals(store.current.logging.level, "debug");
      const before = await Deno.readTextFile(file);
      const error = await assertRejects(() => store.set("gateway.typo", 1), GatewayError);
      assertEquals(error.code, "INVALID_PARAMS");
      assertEquals(error.message, "Unknown config key: gateway.typo");
      await assertRejects(() => store.patch({ other: { x: 1 } }), GatewayError, "other");
      assertEquals(await Deno.readTextFile(file), before);
    },
  );
});

const HAND_WRITTEN = `// My pyclaw config: keep these notes
{
  gateway: {
    port: 18789, // the usual port
    /* never expose this */ bind: 'loopback',
    limits: { maxFrameBytes: 0x100000, },
  },
  logging: { level: "info" }, // chatty while debugging
}
`;

Deno.test("ConfigStore: writes keep the JSON5 file's comments, quotes, hex numbers and layout", async () => {
  await withFile(HAND_WRITTEN, async (store, file) => {
    await store.set("gateway.port", 19000);
    await store.patch({ gateway: { limits: { requestsPerSecond: 50 } } });
    await store.set("agents.defaults.model", "openai/gpt-4o");
    const text = await Deno.readTextFile(file);
    for (
      const kept of [
        "// My pyclaw config: keep these notes",
        "port: 19000, // the usual port",
        "/* never expose this */ bind: 'loopback',",
        "maxFrameBytes: 0x100000",
        'logging: { level: "info" }, // chatty while debugging',
      ]
    ) assert(text.includes(kept), `lost ${JSON.stringify(kept)} in:\n${text}`);
    const data = JSON5.parse(text);
    assertEquals(data.gateway.limits, { maxFrameBytes: 0x100000, requestsPerSecond: 50 });
    assertEquals(data.agents.defaults.model, "openai/gpt-4o");
    // Deleting with a merge patch removes the key and keeps the rest as written.
    await store.patch({ logging: null });
    const after = await Deno.readTextFile(file);
    assert(!after.includes("logging"), after);
    assert(after.includes("// My pyclaw config: keep these notes"), after);
    // The store reads back what it wrote.
    assertEquals(store.current.gateway.port, 19000);
    assertEquals((await ConfigStore.open(file, { env: {} })).current.gateway.port, 19000);
  });
});

Deno.test("ConfigStore: a value nested thousands deep is INVALID_PARAMS, not a stack overflow", async () => {
  await withFile("{}\n", async (store, file) => {
    let deep: unknown = 1;
    for (let i = 0; i < 5_000; i++) deep = { a: deep };
    for (
      const attempt of [
        () => store.set("agents.defaults.model", deep),
        () => store.patch({ logging: deep as Record<string, unknown> }),
      ]
    ) {
      const error = await assertRejects(attempt, GatewayError, "deeper than");
      assertEquals(error.code, "INVALID_PARAMS");
    }
    assertEquals(await Deno.readTextFile(file), "{}\n");
  });
});
