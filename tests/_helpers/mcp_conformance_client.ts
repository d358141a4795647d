/**
 * @module The client under test for `@modelcontextprotocol/conformance`: pyclaw's MCP manager
 * connects to the scenario's server (its URL is the last argument), and runs what the scenario
 * (`MCP_CONFORMANCE_SCENARIO`) asks of a client.
 */

import { configSchema } from "../../core/config/schema.ts";
import { Logger } from "../../core/logger.ts";
import { McpManager } from "../../tools/mcp/manager.ts";

const url = Deno.args.at(-1)!;
const scenario = Deno.env.get("MCP_CONFORMANCE_SCENARIO") ?? "initialize";
const servers = configSchema().parse({
  tools: { mcpServers: { conformance: { url, transport: "streamable-http" } } },
}).tools.mcpServers;
const manager = new McpManager({ logger: new Logger({ consoleLevel: "warn" }) });
let failed = false;
try {
  await manager.apply(servers);
  await manager.ready();
  const [status] = manager.status();
  console.log(`${status.name}: ${status.state} over ${status.transport}, tools: ${status.tools}`);
  if (status.state !== "connected") failed = true;
  const calls: Record<string, [string, Record<string, unknown>]> = {
    tools_call: ["add_numbers", { a: 5, b: 3 }],
    "sse-retry": ["test_reconnection", {}],
  };
  const call = calls[scenario];
  if (call && !failed) {
    const tool = manager.tool(`mcp:conformance:${call[0]}`);
    if (!tool) throw new Error(`The server offered no tool ${call[0]}`);
    const output = await tool.run(call[1], {
      signal: new AbortController().signal,
      agentId: "main",
      sessionId: "conformance",
      workspaceDir: Deno.cwd(),
      restrictToWorkspace: true,
      config: () => configSchema().parse({}),
      logger: new Logger({ consoleLevel: "warn" }),
      emit: () => {},
      services: {},
    });
    console.log(typeof output === "string" ? output : output.content);
    if (typeof output !== "string" && output.isError) failed = true;
  }
} finally {
  await manager.close();
}
Deno.exit(failed ? 1 : 0);
