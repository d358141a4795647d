import { z } from "zod";
import { buildToolSet, runToolCall, wireName } from "../../agent/tool_calls.ts";
import { configSchema } from "../../core/config/schema.ts";
import { Logger } from "../../core/logger.ts";
import { defineTool, type ToolContext } from "../../tools/tool.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";

const add = defineTool({
  name: "mcp:math:add",
  description: "Adds",
  parameters: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }) => Promise.resolve(String(a + b)),
});
const broken = defineTool({
  name: "broken",
  description: "Always fails",
  parameters: z.object({}),
  run: () => Promise.reject(new Error("disk on fire")),
});

function context(): ToolContext {
  const config = configSchema().parse({});
  return {
    signal: new AbortController().signal,
    agentId: "main",
    sessionId: "s",
    workspaceDir: "/tmp",
    restrictToWorkspace: true,
    config: () => config,
    logger: new Logger({ consoleLevel: "silent" }),
    emit: () => {},
    services: {},
  };
}

Deno.test("buildToolSet gives wire-safe names and JSON Schemas, honouring allow and deny", () => {
  assertEquals(wireName("mcp:math:add"), "mcp_math_add");
  const set = buildToolSet([add, broken], [{ deny: ["broken"] }]);
  assertEquals(set.specs.map((s) => s.name), ["mcp_math_add"]);
  assertEquals(set.specs[0].parameters.required, ["a", "b"]);
  assertEquals(set.byWireName.get("mcp_math_add"), add);
  assertEquals([...set.denied], ["broken"]);
});

Deno.test("a warm turn's tool set is the one built before, until the tools or the lists change", () => {
  const deny = ["broken"];
  const first = buildToolSet([add, broken], [{}, { deny }]);
  // A fresh list of the same tools and fresh list objects holding the same arrays: no rebuild.
  const again = buildToolSet([add, broken], [{}, { deny }]);
  assert(again === first, "the same inputs give the same set");
  assert(Object.isFrozen(first) && Object.isFrozen(first.specs), "a shared set cannot change");
  assertEquals([...first.names], ["mcp:math:add"]);
  // A reload swaps the config's arrays; an MCP server's tool list changes the tools.
  const reloaded = buildToolSet([add, broken], [{}, { deny: ["mcp:*"] }]);
  assertEquals(reloaded.specs.map((spec) => spec.name), ["broken"]);
  assert(buildToolSet([add], [{}, { deny }]) !== first, "other tools give another set");
  assert(buildToolSet([add, broken], [{}, { deny }], { lean: true }) !== first, "lean is its own");
  assert(buildToolSet([add, broken], [{}, { deny }]) === first, "still kept");
});

Deno.test("runToolCall validates arguments and turns failures into error results", async () => {
  const ok = await runToolCall(
    add,
    { id: "1", name: "mcp_math_add", arguments: '{"a":2,"b":3}' },
    context(),
  );
  assertEquals(ok.output, { content: "5" });
  const invalid = await runToolCall(
    add,
    { id: "2", name: "mcp_math_add", arguments: '{"a":"x"}' },
    context(),
  );
  assertEquals(invalid.output.isError, true);
  assertMatch(invalid.output.content, /Invalid arguments for mcp:math:add: a: .*b: /);
  const notJson = await runToolCall(
    add,
    { id: "3", name: "mcp_math_add", arguments: "{oops" },
    context(),
  );
  assertMatch(notJson.output.content, /not JSON/);
  const unknown = await runToolCall(
    undefined,
    { id: "4", name: "ghost", arguments: "{}" },
    context(),
  );
  assertEquals(unknown.output, { content: "Unknown tool: ghost", isError: true });
  const failed = await runToolCall(broken, { id: "5", name: "broken", arguments: "" }, context());
  assertEquals(failed.output, { content: "broken failed: disk on fire", isError: true });
});
