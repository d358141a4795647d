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

/** The doctor does not wait longer than this for a server. */
const DOCTOR_CONNECT_MS = 10_000;

export async function checkMcpServers(input: DoctorInput): Promise<DoctorCheck[]> {
  const servers = input.config?.tools.mcpServers ?? {};
  if (!Object.keys(servers).length) return [];
  const statuses = input.mcp
    ? await live(input.mcp)
    : await probe(servers, hiddenFromCommands(input.paths.root, input.configPath, input.env));
  return statuses.map((status) => toCheck(status));
}

async function live(mcp: NonNullable<DoctorInput["mcp"]>): Promise<McpServerStatus[]> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const cap = new Promise((resolve) => (timer = setTimeout(resolve, DOCTOR_CONNECT_MS)));
  await Promise.race([mcp.ready(), cap]);
  clearTimeout(timer);
  return mcp.status();
}

async function probe(
  servers: Record<string, McpServerConfig>,
  sandboxHidden: string[],
): Promise<McpServerStatus[]> {
  const manager = new McpManager({ logger: new Logger({ consoleLevel: "silent" }), sandboxHidden });
  const capped = Object.fromEntries(
    Object.entries(servers).map((
      [name, server],
    ) => [name, {
      ...server,
      connectTimeoutMs: Math.min(server.connectTimeoutMs, DOCTOR_CONNECT_MS),
    }]),
  );
  try {
    await manager.apply(capped);
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
