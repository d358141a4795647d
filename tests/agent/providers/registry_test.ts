/**
 * @module A model named with a known provider's prefix goes to that provider or nowhere: with
 * only an OpenAI-style provider configured, `anthropic/claude-x` is refused, never sent there.
 */

import OpenAI from "openai";
import { assert, assertEquals, assertThrows } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { TEST_TOKEN } from "../../_helpers/gateway.ts";
import { ProviderRegistry } from "../../../agent/providers/registry.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { GatewayError } from "../../../core/errors.ts";

const config = configSchema().parse({
  models: {
    providers: { openai: { baseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-x", models: [] } },
  },
});

Deno.test("ProviderRegistry refuses a known provider's prefix when that provider is not configured", () => {
  const registry = new ProviderRegistry({ config: () => config, env: {} });
  const error = assertThrows(() => registry.resolve("anthropic/claude-x"), GatewayError);
  assertEquals(error.code, "NOT_FOUND");
  assert(error.message.includes("Provider anthropic is not configured"), error.message);
  assert(error.message.includes("ANTHROPIC_API_KEY"), error.message);
  assertEquals(
    assertThrows(() => registry.resolve("deepseek/deepseek-chat"), GatewayError).code,
    "NOT_FOUND",
  );
  // The configured provider still serves its own models, prefixed or not, and ids with a slash
  // that name no known provider (an OpenRouter-style id) stay with the only provider.
  assertEquals(registry.resolve("openai/gpt-4o").providerId, "openai");
  assertEquals(registry.resolve("gpt-4o").model, "gpt-4o");
  assertEquals(registry.resolve("meta-llama/llama-3-8b").model, "meta-llama/llama-3-8b");
  // With the key in the environment the provider exists, and the prefix routes to it.
  const withKey = new ProviderRegistry({ config: () => config, env: { ANTHROPIC_API_KEY: "k" } });
  assertEquals(withKey.resolve("anthropic/claude-x").providerId, "anthropic");
});

Deno.test("ProviderRegistry resolves a model again when the config or the local providers change", () => {
  const configOf = (baseUrl: string, owner: string) =>
    configSchema().parse({
      models: {
        providers: {
          fake: { baseUrl, models: owner === "fake" ? [{ id: "m" }, { id: "llamacpp/tiny" }] : [] },
          other: { baseUrl, models: owner === "other" ? [{ id: "m" }] : [] },
        },
      },
    });
  let current = configOf("http://127.0.0.1:9/v1", "fake");
  let localModels = false;
  const registry = new ProviderRegistry({ config: () => current, env: {} });
  registry.registerApi("llamacpp", (settings) => ({
    id: settings.id,
    api: "llamacpp",
    async *stream() {},
  }));
  registry.registerImplicit("llamacpp", () => localModels);
  const first = registry.resolve("m");
  assertEquals(first.providerId, "fake");
  assert(registry.resolve("m") === first, "an unchanged config resolves the same way");
  // A reload: a new base URL builds a new provider, and a model that moved goes with it.
  current = configOf("http://127.0.0.1:10/v1", "fake");
  const rebuilt = registry.resolve("m");
  assert(rebuilt.provider !== first.provider, "the provider was not rebuilt for its new config");
  current = configOf("http://127.0.0.1:10/v1", "other");
  assertEquals(registry.resolve("m").providerId, "other");
  // A local provider that appears takes its own prefix back from a config entry of that name.
  current = configOf("http://127.0.0.1:10/v1", "fake");
  assertEquals(registry.resolve("llamacpp/tiny").providerId, "fake");
  localModels = true;
  assertEquals(registry.resolve("llamacpp/tiny").providerId, "llamacpp");
});

Deno.test("/v1/chat/completions answers 404 naming the provider, and nothing reaches the upstream", async () => {
  await using env = await startChatGateway({ providerId: "openai" });
  const client = new OpenAI({ baseURL: `${env.gw.baseUrl}/v1`, apiKey: TEST_TOKEN, maxRetries: 0 });
  const error = await client.chat.completions.create({
    model: "anthropic/claude-x",
    messages: [{ role: "user", content: "a private prompt" }],
  }).then(() => undefined, (e) => e);
  assert(error instanceof OpenAI.NotFoundError, String(error));
  assert(String(error.message).includes("Provider anthropic is not configured"), error.message);
  assertEquals(env.upstream.requests.length, 0);
});
