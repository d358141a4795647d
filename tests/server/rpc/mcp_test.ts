import { assert, assertEquals, assertMatch, waitFor } from "../../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";
import { everythingStdio, processAlive, startEverythingHttp } from "../../_helpers/mcp.ts";
import type { GatewayClient } from "../../../core/protocol/client.ts";
import type { McpServerStatus } from "../../../tools/mcp/server_connection.ts";

async function statusOf(client: GatewayClient): Promise<Record<string, McpServerStatus>> {
  const { servers } = await client.request("mcp.status");
  return Object.fromEntries(servers.map((server) => [server.name, server]));
}

/** Polls `mcp.status` until `ok` holds, and returns that status. */
async function statusWhen(
  client: GatewayClient,
  ok: (status: Record<string, McpServerStatus>) => boolean,
  label: string,
): Promise<Record<string, McpServerStatus>> {
  let last: Record<string, McpServerStatus> = {};
  await waitFor(async () => ok(last = await statusOf(client)), 30_000, label);
  return last;
}

async function toolNames(client: GatewayClient): Promise<string[]> {
  return (await client.request("tools.list")).map((tool) => tool.name);
}

Deno.test("mcp.status and tools.list show each server; a broken one does not hold up the others", async () => {
  await using http = await startEverythingHttp("streamableHttp");
  const gw = await startInProcessGateway({
    config: {
      tools: {
        mcpServers: {
          everything: everythingStdio(),
          remote: { url: http.url },
          broken: { command: "pyclaw-no-such-mcp-server" },
          off: { ...everythingStdio(), enabled: false },
        },
      },
    },
  });
  let pid = 0;
  try {
    const client = await gw.connect();
    const status = await statusWhen(
      client,
      (s) =>
        s.everything.state === "connected" && s.remote.state === "connected" &&
        s.broken.state === "error",
      "servers to settle",
    );
    assertEquals(Object.keys(status), ["everything", "remote", "broken", "off"]);
    assertEquals(status.remote.transport, "streamable-http");
    assertEquals(status.off.state, "disabled");
    assertMatch(status.broken.lastError!, /pyclaw-no-such-mcp-server/);
    assert(status.everything.toolCount > 5);
    pid = status.everything.pid!;
    assert(processAlive(pid));
    const names = await toolNames(client);
    assert(names.includes("mcp:everything:echo"));
    assert(names.includes("mcp:remote:get-sum"));
    assert(!names.some((name) => name.startsWith("mcp:off:") || name.startsWith("mcp:broken:")));
    const doctor = await client.request(
      "doctor.run",
    );
    const mcpChecks = Object.fromEntries(
      doctor.checks.filter((c) => c.id.startsWith("mcp.")).map((c) => [c.id, c]),
    );
    assertEquals(mcpChecks["mcp.everything"].status, "ok");
    assertMatch(mcpChecks["mcp.everything"].message, /stdio, \d+ tools/);
    assertEquals(mcpChecks["mcp.broken"].status, "fail");
  } finally {
    await gw.close();
  }
  assert(!processAlive(pid), "the MCP child ends with the gateway");
});

Deno.test("mcp hot reload: editing the config file adds and removes servers, unchanged ones stay", async () => {
  const gw = await startInProcessGateway({
    watch: true,
    config: { tools: { mcpServers: { keep: everythingStdio(), drop: everythingStdio() } } },
  });
  try {
    const client = await gw.connect();
    const before = await statusWhen(
      client,
      (s) => s.keep?.state === "connected" && s.drop?.state === "connected",
      "both servers",
    );
    await Deno.writeTextFile(
      gw.configPath,
      JSON.stringify({
        tools: { mcpServers: { keep: everythingStdio(), added: everythingStdio() } },
      }),
    );
    const after = await statusWhen(
      client,
      (s) => !s.drop && s.added?.state === "connected",
      "the reload",
    );
    assertEquals(Object.keys(after), ["keep", "added"]);
    assertEquals(after.keep.pid, before.keep.pid, "an unchanged server is left alone");
    await waitFor(() => !processAlive(before.drop.pid!), 20_000, "the removed server's exit");
    const names = await toolNames(client);
    assert(names.includes("mcp:added:echo"));
    assert(!names.includes("mcp:drop:echo"));

    // config.patch goes through the same store, so it reloads MCP too.
    await client.request("config.patch", { patch: { tools: { mcpServers: { added: null } } } });
    await waitFor(async () => !(await statusOf(client)).added, 20_000, "the patch");
    assert(!(await toolNames(client)).includes("mcp:added:echo"));
  } finally {
    await gw.close();
  }
});

Deno.test("an MCP tool runs in a chat from the model's tool call, with the server's schema", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: { tools: { mcpServers: { everything: everythingStdio() } } },
  });
  const client = await env.gw.connect();
  await waitFor(async () => (await statusOf(client)).everything.state === "connected", 30_000);
  const events = recordEvents(client);
  env.upstream.reply(
    { toolCalls: [{ name: "mcp_everything_get-sum", arguments: { a: 20, b: 22 } }] },
    { text: "The sum is 42" },
  );
  await client.request("chat.send", { message: "Add 20 and 22" });
  const [call] = events.named("chat.tool_call");
  assertEquals(call.tool, "mcp:everything:get-sum");
  const [result] = events.named("chat.tool_result");
  assertEquals(result.isError, false);
  assertMatch(JSON.stringify(result.result), /42/);
  const tools = env.upstream.requests[0].body.tools as {
    function: { name: string; parameters: Record<string, unknown> };
  }[];
  const sum = tools.find((tool) => tool.function.name === "mcp_everything_get-sum")!;
  assertEquals(sum.function.parameters.required, ["a", "b"]);
  assertEquals((sum.function.parameters.properties as Record<string, unknown>).a, {
    type: "number",
    description: "First number",
  });
});

Deno.test("mcp hot reload also works by polling the file's mtime when no file event arrives", async () => {
  // watch: false: the store gets no file events, so only McpConfigWatcher's poll can notice.
  const config = (servers: Record<string, unknown>) => ({
    tools: { mcpPollIntervalMs: 100, mcpServers: servers },
  });
  const gw = await startInProcessGateway({ watch: false, config: config({}) });
  try {
    const client = await gw.connect();
    assertEquals(await statusOf(client), {});
    await Deno.writeTextFile(gw.configPath, JSON.stringify(config({ polled: everythingStdio() })));
    const status = await statusWhen(client, (s) => s.polled?.state === "connected", "the poll");
    assert(status.polled.toolCount > 0);
  } finally {
    await gw.close();
  }
});
