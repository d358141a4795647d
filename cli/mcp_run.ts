/**
 * @module `pyclaw mcp ...`: asks the running gateway (`mcp.status`, `tools.list`); when none
 * answers, the same methods in this process connect to the configured servers, report, and
 * disconnect.
 */

import type { MethodResult } from "../core/protocol/methods.ts";
import { MCP_TOOL_PREFIX, parseMcpToolName } from "../tools/mcp/server_config.ts";
import { gatewayOrLocal, type GatewayOrLocalFlags } from "./_gateway_or_local.ts";
import { fail, printJson } from "./_output.ts";

type Flags = GatewayOrLocalFlags & { json?: boolean };

interface McpTool {
  name: string;
  server: string;
  tool: string;
  description: string;
}

interface McpReport {
  /** Where the answer came from: the gateway's URL, or `direct`. */
  source: string;
  servers: MethodResult<"mcp.status">["servers"];
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

/**
 * `mcp.status` and `tools.list` on the running gateway, else on the same services started in
 * this process, which connect to every configured server, wait for each to answer or fail, and
 * disconnect afterwards.
 */
async function gather(flags: Flags): Promise<McpReport> {
  const { result, via } = await gatewayOrLocal(flags, async (client, target) => {
    const options = { timeoutMs: target.timeoutMs };
    const { servers } = await client.request("mcp.status", {}, options);
    const listed = await client.request("tools.list", {}, options);
    const tools = listed.flatMap((entry) => {
      const parsed = entry.name.startsWith(MCP_TOOL_PREFIX)
        ? parseMcpToolName(entry.name)
        : undefined;
      return parsed ? [{ name: entry.name, ...parsed, description: entry.description }] : [];
    });
    return { source: target.url, servers, tools };
  }, { readOnly: true, connectMcp: true }).catch((error) => fail(error));
  return via === "local" ? { ...result, source: "direct" } : result;
}

function firstLine(text: string): string {
  const line = text.split("\n")[0].trim();
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}
