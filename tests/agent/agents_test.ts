import { agentForKey, listAgents, resolveAgent } from "../../agent/agents.ts";
import { globMatch } from "../../core/glob.ts";
import { configSchema } from "../../core/config/schema.ts";
import { GatewayError } from "../../core/errors.ts";
import { assertEquals, assertThrows } from "../_helpers/assert.ts";

const config = configSchema().parse({
  agents: {
    defaults: { model: "openai/gpt-4o", temperature: 0.5, maxIterations: 4 },
    list: [{ id: "ops", name: "Ops", temperature: 0.1, tools: { deny: ["exec"] } }],
  },
  bindings: [
    { pattern: "telegram:12*", agentId: "ops" },
    { pattern: "telegram:*", agentId: "main" },
  ],
});

Deno.test("resolveAgent merges defaults under the entry, and main always exists", () => {
  const ops = resolveAgent(config, "ops");
  assertEquals([ops.name, ops.model, ops.temperature, ops.maxIterations], [
    "Ops",
    "openai/gpt-4o",
    0.1,
    4,
  ]);
  assertEquals(ops.tools.deny, ["exec"]);
  assertEquals(listAgents(config).map((a) => a.id), ["main", "ops"]);
  const error = assertThrows(() => resolveAgent(config, "ghost"), GatewayError);
  assertEquals(error.code, "NOT_FOUND");
});

Deno.test("agentForKey takes the first matching binding, else main", () => {
  assertEquals(agentForKey(config, "telegram:12345"), "ops");
  assertEquals(agentForKey(config, "telegram:999"), "main");
  assertEquals(agentForKey(config, "webchat:x"), "main");
  assertEquals(globMatch("a?c.*", "abc.d"), true);
  assertEquals(globMatch("a?c.*", "abcxd"), false);
});
