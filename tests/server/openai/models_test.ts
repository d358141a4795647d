import OpenAI from "openai";
import { assert, assertEquals, assertRejects } from "../../_helpers/assert.ts";
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

Deno.test("/v1/models/{id} gives one model, by bare id, provider/model or agent, else 404", async () => {
  await using env = await startChatGateway({ models: ["gpt-test", "gpt-mini"] });
  const client = new OpenAI({
    baseURL: `${env.gw.baseUrl}/v1`,
    apiKey: env.gw.token!,
    maxRetries: 0,
  });
  const listed = new Map<string, OpenAI.Model>();
  for await (const model of client.models.list()) listed.set(model.id, model);
  assertEquals(await client.models.retrieve("gpt-mini"), listed.get("gpt-mini"));
  assertEquals(await client.models.retrieve("agent:main"), listed.get("agent:main"));
  // `agent:` alone is the default agent for the chat routes, and so here.
  assertEquals(await client.models.retrieve("agent:"), {
    ...listed.get("agent:main")!,
    id: "agent:",
  });
  assertEquals(await client.models.retrieve("fake/gpt-test"), {
    ...listed.get("gpt-test")!,
    id: "fake/gpt-test",
  });
  // The id unencoded, as curl users write it.
  const raw = await fetch(`${env.gw.baseUrl}/v1/models/fake/gpt-mini`, {
    headers: { authorization: `Bearer ${env.gw.token}` },
  });
  assertEquals((await raw.json()).id, "fake/gpt-mini");

  for (const id of ["nope", "other/gpt-test", "agent:ghost"]) {
    const missing = await assertRejects(() => client.models.retrieve(id), OpenAI.NotFoundError);
    assertEquals(missing.type, "invalid_request_error");
    assertEquals(missing.param, "model");
    assertEquals(missing.message, `404 The model \`${id}\` does not exist`);
  }
  const unauthorized = await fetch(`${env.gw.baseUrl}/v1/models/gpt-test`);
  assertEquals(unauthorized.status, 401);
});
