import { z } from "zod";
import { configSchema } from "../../core/config/schema.ts";
import { TOOL_GROUPS } from "../../core/tool_groups.ts";
import { BUILTIN_TOOLS } from "../../tools/builtin_tools.ts";
import { defineTool } from "../../tools/tool.ts";
import { entryMatches, toolAllowed } from "../../tools/tool_policy.ts";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../_helpers/chat_gateway.ts";

const read = { name: "read", group: "group:file" } as const;
const fetch = { name: "web_fetch", group: "group:web" } as const;
const mcp = { name: "mcp:fs:read", group: "group:mcp" } as const;

Deno.test("toolAllowed matches names, globs and groups; deny wins over allow", () => {
  assert(entryMatches("group:file", read));
  assert(entryMatches("group:*", read));
  assert(!entryMatches("group:file", fetch));
  assert(entryMatches("mcp:fs:*", mcp));
  assert(!entryMatches("group:file", { name: "ungrouped" }));
  assertEquals(toolAllowed(read, [{ allow: ["group:file"] }]), true);
  assertEquals(toolAllowed(fetch, [{ allow: ["group:file"] }]), false);
  assertEquals(toolAllowed(read, [{ allow: ["group:file"], deny: ["read"] }]), false);
  // Both the global lists and the agent's apply.
  assertEquals(toolAllowed(mcp, [{ allow: ["group:mcp"] }, { deny: ["mcp:fs:*"] }]), false);
  assertEquals(toolAllowed(fetch, [{}, { deny: ["group:file"] }]), true);
});

Deno.test("denying exec by name denies process too, which runs commands as well", () => {
  const exec = { name: "exec", group: "group:exec" } as const;
  const process = { name: "process", group: "group:exec" } as const;
  for (const deny of [["exec"], ["ex*"], ["group:exec"]]) {
    assertEquals(toolAllowed(process, [{ deny }]), false, deny.join());
    assertEquals(toolAllowed(process, [{}, { deny }]), false, deny.join());
  }
  // Not the other way round: process alone may be denied, and an allow list means what it says.
  assertEquals(toolAllowed(exec, [{ deny: ["process"] }]), true);
  assertEquals(toolAllowed(process, [{ deny: ["read"] }]), true);
  assertEquals(toolAllowed(process, [{ allow: ["exec"] }]), false);
  assertEquals(toolAllowed(process, [{ allow: ["exec", "process"] }]), true);
});

Deno.test("every built-in tool names a known group", () => {
  for (const tool of BUILTIN_TOOLS) {
    assert(tool.group && Object.hasOwn(TOOL_GROUPS, tool.group), `${tool.name}: ${tool.group}`);
  }
});

Deno.test("config refuses an unknown group in an allow or deny list", () => {
  const bad = configSchema().safeParse({ tools: { deny: ["group:files"] } });
  assert(!bad.success);
  assertMatch(bad.error.issues[0].message, /Unknown tool group: group:files/);
  assertEquals(bad.error.issues[0].path, ["tools", "deny", 0]);
  const agent = configSchema().safeParse({
    agents: { list: [{ id: "ops", tools: { allow: ["group:nope"] } }] },
  });
  assert(!agent.success);
  assert(configSchema().safeParse({ tools: { allow: ["group:web", "group:*", "exec"] } }).success);
});

Deno.test("a denied group is not offered to the model, and a call to it is refused", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: {
      tools: { deny: ["group:exec"], exec: { policy: "allow" } },
      agents: {
        defaults: { model: "fake/gpt-test" },
        list: [{ id: "reader", tools: { allow: ["group:documents"] } }],
      },
    },
  });
  env.upstream.reply(
    { toolCalls: [{ name: "exec", arguments: { command: "touch pwned" }, id: "c1" }] },
    { text: "Could not" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "Run it" });
  const offered = env.upstream.requests[0].body.tools.map(
    (tool: { function: { name: string } }) => tool.function.name,
  );
  assert(!offered.includes("exec"), offered.join());
  assert(offered.includes("read_pdf") && offered.includes("send_file"), offered.join());
  const result = events.named("chat.tool_result")[0];
  assertEquals(result.isError, true);
  assertMatch(String(result.result), /Tool not allowed: exec/);
  assertEquals(await Deno.stat(`${env.gw.paths.workspaceDir}/pwned`).catch(() => null), null);

  // An agent's own allow list narrows its tools to that group; tools.list says so.
  env.upstream.reply({ text: "ok" });
  await client.request("chat.send", { message: "Hi", agentId: "reader", sessionId: "r" });
  const readerTools = env.upstream.requests[2].body.tools.map(
    (tool: { function: { name: string } }) => tool.function.name,
  );
  assertEquals(readerTools.sort(), ["read_docx", "read_pdf", "read_pptx", "read_xlsx"]);
  const listed = await client.request(
    "tools.list",
    { agentId: "reader" },
  );
  const exec = listed.find((tool) => tool.name === "exec");
  assertEquals([exec?.group, exec?.allowed], ["group:exec", false]);
  const pdf = listed.find((tool) => tool.name === "read_pdf");
  assertEquals([pdf?.group, pdf?.allowed], ["group:documents", true]);
  const main = await client.request("tools.list");
  assertEquals(main.find((tool) => tool.name === "send_file")?.allowed, true);
  assertEquals(main.find((tool) => tool.name === "exec")?.allowed, false);
});

Deno.test("tools.deny [exec] offers no process tool and runs no process start", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: {
      tools: { deny: ["exec"], exec: { policy: "allow" } },
      agents: { defaults: { model: "fake/gpt-test" } },
    },
  });
  env.upstream.reply(
    {
      toolCalls: [
        { name: "process", arguments: { action: "start", command: "touch pwned" }, id: "c1" },
      ],
    },
    { text: "Could not" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "Run it" });
  const offered = env.upstream.requests[0].body.tools.map(
    (tool: { function: { name: string } }) => tool.function.name,
  );
  assert(!offered.includes("exec") && !offered.includes("process"), offered.join());
  const result = events.named("chat.tool_result")[0];
  assertEquals(result.isError, true);
  assertMatch(String(result.result), /Tool not allowed: process/);
  assertEquals(await Deno.stat(`${env.gw.paths.workspaceDir}/pwned`).catch(() => null), null);
  const listed = await client.request("tools.list");
  assertEquals(listed.find((tool) => tool.name === "process")?.allowed, false);
});

Deno.test("an ungrouped tool is matched by name only", () => {
  const tool = defineTool({
    name: "custom",
    description: "x",
    parameters: z.object({}),
    run: () => Promise.resolve(""),
  });
  assertEquals(toolAllowed(tool, [{ deny: ["group:*"] }]), true);
  assertEquals(toolAllowed(tool, [{ deny: ["cust*"] }]), false);
});
