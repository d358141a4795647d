/** @module Tests of the doctor's local models check. */

import { join } from "node:path";
import { checkLocalModels } from "../../../agent/doctor/local_models_check.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { statePaths } from "../../../core/paths.ts";
import { assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { TINY_MODEL_ID, tinyModelStore } from "../../_helpers/tiny_model.ts";

function input(stateDir: string, model?: string) {
  return {
    configPath: join(stateDir, "pyclaw.json"),
    config: configSchema().parse(model ? { agents: { defaults: { model } } } : {}),
    paths: statePaths(stateDir),
    env: {},
  };
}

Deno.test("local models check passes with the selected model in the store", async () => {
  await using tiny = await tinyModelStore();
  const checks = await checkLocalModels(input(tiny.stateDir, `llamacpp/${TINY_MODEL_ID}`));
  assertEquals(checks.map((c) => [c.id, c.status]), [
    ["models.local", "ok"],
    ["models.local.selected", "ok"],
  ]);
});

Deno.test("local models check fails for a selected model that is not there", async () => {
  await using tiny = await tinyModelStore();
  await Deno.remove(tiny.path);
  const checks = await checkLocalModels(input(tiny.stateDir, `llamacpp/${TINY_MODEL_ID}`));
  assertEquals(checks.map((c) => [c.id, c.status]), [
    ["models.local", "warn"],
    ["models.local.selected", "fail"],
  ]);
  assertMatch(checks[1].message, /not in the local store/);
});

Deno.test("local models check looks at the agents.list entry the gateway uses: the first with an id", async () => {
  await using tiny = await tinyModelStore();
  const checks = await checkLocalModels({
    ...input(tiny.stateDir),
    config: configSchema().parse({
      agents: {
        list: [
          { id: "a", model: `llamacpp/${TINY_MODEL_ID}` },
          // Ignored by the gateway (a duplicate id): not a model the gateway would load.
          { id: "a", model: "llamacpp/not-downloaded" },
        ],
      },
    }),
  });
  assertEquals(checks.map((c) => [c.id, c.status]), [
    ["models.local", "ok"],
    ["models.local.selected", "ok"],
  ]);
  assertMatch(checks[1].message, /^agent a uses llamacpp\//);
});

Deno.test("local models check fails on an unreadable index and is quiet with no models", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-doctor-" });
  try {
    const none = await checkLocalModels(input(dir, "openai/gpt-4o"));
    assertEquals(none.map((c) => c.status), ["ok"]);
    await Deno.mkdir(join(dir, "models"));
    await Deno.writeTextFile(join(dir, "models", "index.json"), "{ not json");
    const broken = await checkLocalModels(input(dir));
    assertEquals(broken[0].status, "fail");
    assertMatch(broken[0].message, /cannot be read: Model index is not valid JSON/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
