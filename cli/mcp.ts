/** @module `pyclaw mcp status|list-tools`: the MCP servers in `tools.mcpServers` and their tools. */

import type { Command } from "@commander-js/extra-typings";
import { withConnectionOptions } from "./_client_options.ts";

export function registerMcpCommands(program: Command): void {
  const mcp = program
    .command("mcp")
    .description("Inspect the MCP servers of tools.mcpServers (through the gateway, or directly)")
    .addHelpText(
      "after",
      "\nExamples:\n  pyclaw mcp status\n  pyclaw mcp list-tools --json",
    );

  const clientOptions = <T extends Command>(command: T) =>
    withConnectionOptions(command, 5000)
      .option("--local", "connect to the servers directly, even when a gateway is running")
      .option("--json", "print JSON");

  clientOptions(
    mcp.command("status").description(
      "Each server's transport, state, tool count and last error; exit 1 when one is failing",
    ),
  ).action(async (options) => {
    const { mcpStatus } = await import("./mcp_run.ts");
    await mcpStatus(options);
  });

  clientOptions(
    mcp.command("list-tools").description(
      "Every MCP tool as the agent sees it (mcp:<server>:<tool>); exit 1 when a server is failing",
    ),
  ).action(async (options) => {
    const { mcpListTools } = await import("./mcp_run.ts");
    await mcpListTools(options);
  });
}
