import { compactSchema } from "../../agent/tool_schema.ts";
import { measureToolSchemas, TOOL_SCHEMA_BUDGET } from "../../scripts/tool_schema_tokens.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../_helpers/chat_gateway.ts";

Deno.test("compactSchema drops validation-only keywords but keeps parameters named like them", () => {
  const schema = {
    type: "object",
    properties: {
      pattern: { type: "string", minLength: 1, maxLength: 10, description: "A regex" },
      limit: { type: "integer", minimum: 1, maximum: 5, default: 2 },
    },
    required: ["pattern"],
    additionalProperties: false,
  };
  assertEquals(compactSchema(schema, false), {
    type: "object",
    properties: {
      pattern: { type: "string", description: "A regex" },
      limit: { type: "integer" },
    },
    required: ["pattern"],
  });
  assertEquals(
    (compactSchema(schema, true) as { properties: { pattern: unknown } }).properties.pattern,
    { type: "string" },
  );
});

Deno.test("the default tool set fits its token budgets (a 4k-context model keeps room to talk)", () => {
  const full = measureToolSchemas(false);
  const lean = measureToolSchemas(true);
  assert(full.tools.length >= 25, `${full.tools.length} tools`);
  assert(full.total <= TOOL_SCHEMA_BUDGET.full, `full set: ${full.total} tokens`);
  assert(lean.total <= TOOL_SCHEMA_BUDGET.lean, `lean set: ${lean.total} tokens`);
});

Deno.test("a model with a small context window is offered lean tool schemas", async () => {
  await using env = await startChatGateway({ inProcess: true });
  await env.gw.configStore.patch({
    models: {
      providers: {
        fake: {
          models: [{ id: "small", contextWindow: 4_096 }, { id: "big", contextWindow: 128_000 }],
        },
      },
    },
  });
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "Hi", model: "fake/small", sessionId: "s" });
  await client.request("chat.send", { message: "Hi", model: "fake/big", sessionId: "b" });
  assertEquals(events.named("chat.error"), []);
  const tool = (request: number, name: string) =>
    env.upstream.requests[request].body.tools.find(
      (t: { function: { name: string } }) => t.function.name === name,
    ).function;
  assertEquals(tool(0, "grep").parameters.properties.path, { type: "string" });
  assertEquals(tool(1, "grep").parameters.properties.path.description, "Folder or file");
  assertEquals(tool(1, "grep").parameters.properties.limit.maximum, undefined);
});
