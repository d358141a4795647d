/** @module `pyclaw agents list`: the configured agents and their models. */

import type { Command } from "@commander-js/extra-typings";
import { withClientOptions } from "./_client_options.ts";

export function registerAgentsCommands(program: Command): void {
  const agents = program.command("agents").description("The configured agents")
    .addHelpText(
      "after",
      "\nExamples:\n  pyclaw agents list\n  pyclaw agents list --bindings --json",
    );
  withClientOptions(
    agents
      .command("list")
      .description("List agents: id, name, model (from the running gateway, else the config)")
      .option("--bindings", "also list the routing bindings of channel traffic")
      .option("--json", "print JSON")
      .addHelpText("after", "\nExample:\n  pyclaw agents list --json"),
  ).action(async (options) => {
    const { agentsList } = await import("./agents_run.ts");
    await agentsList(options);
  });
}
