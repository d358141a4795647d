import { assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";
import { GatewayError } from "../../../core/errors.ts";

Deno.test("agents.list shows main and the configured agents with their models", async () => {
  await using gw = await startInProcessGateway({
    config: {
      agents: {
        defaults: { model: "openai/gpt-4o" },
        list: [{ id: "coder", name: "Coder", model: "anthropic/claude-sonnet-4" }, { id: "main" }],
      },
      bindings: [{ pattern: "telegram:*", agentId: "coder" }],
    },
  });
  const client = await gw.connect();
  assertEquals(await client.request("agents.list"), [
    { id: "coder", name: "Coder", model: "anthropic/claude-sonnet-4" },
    { id: "main", name: "Main", model: "openai/gpt-4o" },
  ]);
  assertEquals(await client.request("agents.bindings"), [
    { pattern: "telegram:*", agentId: "coder" },
  ]);
});

Deno.test("agents.list has the default agent main when none is configured", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  assertEquals(await client.request("agents.list"), [{ id: "main", name: "Main", model: null }]);
  assertEquals(await client.request("agents.bindings"), []);
});

Deno.test("chat.send runs a configured agent with its own system prompt", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: {
      agents: {
        defaults: { model: "fake/gpt-test" },
        list: [{ id: "poet", systemPrompt: "Answer in verse." }],
      },
    },
  });
  const client = await env.gw.connect();
  const answer = await client.request("chat.send", {
    message: "hi",
    agentId: "poet",
  });
  assertEquals([answer.agentId, answer.completed], ["poet", true]);
  assertEquals(
    env.upstream.requests[0].body.messages[0].content.startsWith("Answer in verse."),
    true,
  );
  const listed = await client.request("sessions.list");
  assertEquals(listed.sessions.map((s) => s.agentId), ["poet"]);
  const error = await assertRejects(
    () => client.request("chat.history", { sessionId: "main", agentId: "nobody" }),
    GatewayError,
  );
  assertEquals(error.code, "NOT_FOUND");
});
