import OpenAI from "openai";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";

Deno.test("/v1/models lists provider models and agents in OpenAI's shape", async () => {
  await using env = await startChatGateway({ models: ["gpt-test", "gpt-mini"] });
  const client = new OpenAI({
    baseURL: `${env.gw.baseUrl}/v1`,
    apiKey: env.gw.token!,
    maxRetries: 0,
  });
  const ids: OpenAI.Model[] = [];
  for await (const model of client.models.list()) ids.push(model);
  assertEquals(ids.map((m) => [m.id, m.owned_by]), [
    ["gpt-test", "fake"],
    ["gpt-mini", "fake"],
    ["agent:main", "pyclaw"],
  ]);
  assert(ids.every((m) => m.object === "model" && Number.isInteger(m.created)));
  const unauthorized = await fetch(`${env.gw.baseUrl}/v1/models`);
  assertEquals(unauthorized.status, 401);
  assertEquals((await unauthorized.json()).error.type, "authentication_error");
});
