/**
 * @module The doctor's MCP check: each configured server answers, and how many tools it has.
 * Inside the gateway it reads the live connections; from the CLI it connects to each server.
 */

import { Logger } from "../../core/logger.ts";
import { hiddenFromCommands } from "../../tools/sandbox/command_sandbox.ts";
import { McpManager } from "../../tools/mcp/manager.ts";
import type { McpServerConfig } from "../../tools/mcp/server_config.ts";
import type { McpServerStatus } from "../../tools/mcp/server_connection.ts";
import type { DoctorCheck, DoctorInput } from "./doctor_types.ts";

export async function checkMcpServers(input: DoctorInput): Promise<DoctorCheck[]> {
  const servers = input.config?.tools.mcpServers ?? {};
  if (!Object.keys(servers).length) return [];
  // A server gets its own connectTimeoutMs, as in the gateway: a shorter cap here reported
  // servers that start slowly (node on a busy machine) as unreachable though the gateway
  // would have connected.
  const waitMs = Math.max(...Object.values(servers).map((server) => server.connectTimeoutMs));
  const statuses = input.mcp
    ? await live(input.mcp, waitMs)
    : await probe(servers, hiddenFromCommands(input.paths.root, input.configPath, input.env));
  return statuses.map((status) => toCheck(status));
}

async function live(
  mcp: NonNullable<DoctorInput["mcp"]>,
  waitMs: number,
): Promise<McpServerStatus[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise((resolve) => (timer = setTimeout(resolve, waitMs)));
  await Promise.race([mcp.ready(), cap]);
  clearTimeout(timer);
  return mcp.status();
}

async function probe(
  servers: Record<string, McpServerConfig>,
  sandboxHidden: string[],
): Promise<McpServerStatus[]> {
  const manager = new McpManager({ logger: new Logger({ consoleLevel: "silent" }), sandboxHidden });
  try {
    await manager.apply(servers);
    await manager.ready();
    return manager.status();
  } finally {
    await manager.close();
  }
}

function toCheck(status: McpServerStatus): DoctorCheck {
  const base = { id: `mcp.${status.name}`, name: `MCP server ${status.name}` };
  switch (status.state) {
    case "connected":
      return {
        ...base,
        status: "ok",
        message: `Reachable over ${status.transport}, ${status.toolCount} tool${
          status.toolCount === 1 ? "" : "s"
        }`,
      };
    case "disabled":
      return { ...base, status: "ok", message: "Disabled in the config" };
    case "connecting":
      return { ...base, status: "warn", message: "Still connecting", hint: "Run the doctor again" };
    default:
      return {
        ...base,
        status: "fail",
        message: `Not reachable: ${status.lastError ?? status.state}`,
        hint: "Check its command/args (or url) in tools.mcpServers; `pyclaw mcp status` shows more",
      };
  }
}
