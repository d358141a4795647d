import { assert, assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { GatewayError } from "../../../core/errors.ts";

type Model = { id: string; provider: string; source: string };

Deno.test("models.list merges config entries with the provider's own list, cached", async () => {
  await using env = await startChatGateway({ inProcess: true, models: ["gpt-test", "gpt-extra"] });
  const client = await env.gw.connect();
  const models = await client.request("models.list");
  // The stand-in's /models answers gpt-test, already listed in config.
  assertEquals(models.map((m) => [m.id, m.provider, m.source]), [
    ["gpt-test", "fake", "config"],
    ["gpt-extra", "fake", "config"],
  ]);
  const listCalls = () => env.upstream.requests.filter((r) => r.path === "/v1/models").length;
  assertEquals(listCalls(), 1);
  await client.request("models.list");
  assertEquals(listCalls(), 1);
  await client.request("models.list", { refresh: true });
  assertEquals(listCalls(), 2);
});

Deno.test("models.probe answers available with a latency, or why not", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  const ok = await client.request("models.probe", { model: "gpt-test" });
  assertEquals([ok.available, ok.provider, ok.model], [true, "fake", "gpt-test"]);
  assert(typeof ok.latency === "number" && ok.latency >= 0);
  const probe = env.upstream.requests.at(-1)!.body;
  assertEquals([probe.model, probe.max_tokens], ["gpt-test", 1]);

  env.upstream.reply({ error: { status: 401 } });
  const bad = await client.request("models.probe", {
    model: "fake/gpt-test",
  });
  assertEquals(bad.available, false);
  assert(String(bad.error).includes("API key"));

  const unknown = await assertRejects(
    () => client.request("models.probe", { model: "x", provider: "nowhere" }),
    GatewayError,
  );
  assertEquals(unknown.code, "NOT_FOUND");
});
