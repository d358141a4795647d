/**
 * @module `pyclaw mcp …`: asks the running gateway (`mcp.status`, `tools.list`); when none
 * answers, connects to the configured servers itself, reports, and disconnects.
 */

import { isGatewayError } from "../core/errors.ts";
import { Logger } from "../core/logger.ts";
import { McpManager } from "../tools/mcp/manager.ts";
import { MCP_TOOL_PREFIX, parseMcpToolName } from "../tools/mcp/server_config.ts";
import type { McpServerStatus } from "../tools/mcp/server_connection.ts";
import { type ClientFlags, connectTo, resolveTarget } from "./_gateway_client.ts";
import { fail, printJson } from "./_output.ts";

type Flags = ClientFlags & { local?: boolean; json?: boolean };

interface McpTool {
  name: string;
  server: string;
  tool: string;
  description: string;
}

interface McpReport {
  /** Where the answer came from: the gateway's URL, or `direct`. */
  source: string;
  servers: McpServerStatus[];
  tools: McpTool[];
}

export async function mcpStatus(flags: Flags): Promise<void> {
  const report = await gather(flags);
  if (flags.json) {
    printJson({ source: report.source, servers: report.servers, count: report.servers.length });
  } else if (!report.servers.length) {
    console.log("No MCP servers configured (tools.mcpServers)");
  } else {
    console.log(
      `MCP servers (${
        report.source === "direct" ? "connected directly" : `via ${report.source}`
      }):`,
    );
    const width = Math.max(...report.servers.map((s) => s.name.length));
    for (const s of report.servers) {
      const tools = `${s.toolCount} tool${s.toolCount === 1 ? "" : "s"}`;
      console.log(
        `  ${s.name.padEnd(width)}  ${s.transport.padEnd(15)}  ${s.state.padEnd(10)}  ${tools}`,
      );
      if (s.lastError) console.log(`  ${" ".repeat(width)}  last error: ${s.lastError}`);
    }
  }
  Deno.exit(failing(report) ? 1 : 0);
}

export async function mcpListTools(flags: Flags): Promise<void> {
  const report = await gather(flags);
  if (flags.json) {
    printJson({ source: report.source, tools: report.tools, count: report.tools.length });
  } else if (!report.tools.length) {
    console.log(
      report.servers.length
        ? "No MCP tools (no server is connected)"
        : "No MCP servers configured (tools.mcpServers)",
    );
  } else {
    const width = Math.max(...report.tools.map((t) => t.name.length));
    for (const tool of report.tools) {
      console.log(`${tool.name.padEnd(width)}  ${firstLine(tool.description)}`);
    }
  }
  for (const s of report.servers.filter((s) => s.state === "error")) {
    console.error(`Warning: MCP server "${s.name}" is failing: ${s.lastError}`);
  }
  Deno.exit(failing(report) ? 1 : 0);
}

function failing(report: McpReport): boolean {
  return report.servers.some((s) => s.state === "error");
}

async function gather(flags: Flags): Promise<McpReport> {
  if (!flags.local) {
    const viaGateway = await fromGateway(flags);
    if (viaGateway) return viaGateway;
  }
  return await direct();
}

/** The running gateway's view, or `undefined` when no gateway answers. */
async function fromGateway(flags: Flags): Promise<McpReport | undefined> {
  const target = await resolveTarget(flags);
  let client;
  try {
    client = await connectTo(target);
  } catch (error) {
    if (isGatewayError(error)) fail(error); // a gateway is there but refused us: say so
    return undefined;
  }
  try {
    const options = { timeoutMs: target.timeoutMs };
    const { servers } = await client.request(
      "mcp.status",
      {},
      options,
    );
    const listed = await client.request(
      "tools.list",
      {},
      options,
    );
    const tools = listed.flatMap((entry) => {
      const parsed = entry.name.startsWith(MCP_TOOL_PREFIX)
        ? parseMcpToolName(entry.name)
        : undefined;
      return parsed ? [{ name: entry.name, ...parsed, description: entry.description }] : [];
    });
    return { source: target.url, servers, tools };
  } catch (error) {
    fail(error);
  } finally {
    client.close();
  }
}

/** Connects to every configured server, waits for each to answer or fail, and disconnects. */
async function direct(): Promise<McpReport> {
  const { loadConfigFile } = await import("../core/config/load.ts");
  const { configPath } = await import("../core/paths.ts");
  const env = Deno.env.toObject();
  let config;
  try {
    config = (await loadConfigFile(configPath(env), env)).config;
  } catch (error) {
    fail(error);
  }
  const { hiddenFromCommands } = await import("../tools/sandbox/command_sandbox.ts");
  const { stateDir } = await import("../core/paths.ts");
  const manager = new McpManager({
    logger: new Logger({ consoleLevel: "silent" }),
    sandboxHidden: hiddenFromCommands(stateDir(env), configPath(env), env),
  });
  try {
    await manager.apply(config.tools.mcpServers);
    await manager.ready();
    const tools = manager.tools().map((tool) => ({
      name: tool.name,
      ...parseMcpToolName(tool.name)!,
      description: tool.description,
    }));
    return { source: "direct", servers: manager.status(), tools };
  } finally {
    await manager.close();
  }
}

function firstLine(text: string): string {
  const line = text.split("\n")[0].trim();
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}
