/** @module Tests of the doctor's model providers check. */

import { checkProviders } from "../../../agent/doctor/providers_check.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { statePaths } from "../../../core/paths.ts";
import { assertEquals, assertMatch } from "../../_helpers/assert.ts";

function input(config: Record<string, unknown>, env: Record<string, string> = {}) {
  return {
    configPath: "/nonexistent/pyclaw.json",
    config: configSchema().parse(config),
    paths: statePaths("/nonexistent"),
    env,
  };
}

Deno.test("providers check passes for keyed providers and resolvable agent models", async () => {
  const checks = await checkProviders(input({
    models: {
      providers: {
        deepseek: { apiKey: "sk-1" },
        ollama: { models: [{ id: "llama3" }] },
      },
    },
    agents: { defaults: { model: "deepseek/deepseek-chat" }, list: [{ id: "o", model: "llama3" }] },
  }));
  assertEquals(checks.map((c) => [c.id, c.status]), [
    ["providers.deepseek", "ok"],
    ["providers.ollama", "ok"],
    ["agents.main.model", "ok"],
    ["agents.o.model", "ok"],
  ]);
  assertMatch(checks[0].message, /https:\/\/api\.deepseek\.com\/v1/);
  assertMatch(checks[3].message, /ollama\/llama3/);
});

Deno.test("providers check warns about a missing key and fails an unknown model or base URL", async () => {
  const checks = await checkProviders(input({
    models: { providers: { openai: {}, custom: { models: [{ id: "m" }] } } },
    agents: { defaults: { model: "mystery-model" } },
  }));
  assertEquals(checks.map((c) => [c.id, c.status]), [
    ["providers.openai", "warn"],
    ["providers.custom", "fail"],
    ["agents.main.model", "fail"],
  ]);
  assertMatch(checks[2].message, /Unknown model: mystery-model/);
});

Deno.test("providers check warns when no provider is configured, and sees env keys", async () => {
  const none = await checkProviders(input({}));
  assertEquals(none.map((c) => [c.id, c.status]), [["providers", "warn"]]);
  const env = await checkProviders(input({}, { ANTHROPIC_API_KEY: "sk-ant" }));
  assertEquals(env.map((c) => [c.id, c.status]), [["providers.anthropic", "ok"]]);
});
