/** @module `pyclaw status`: gateway, service, models, MCP and channels at a glance. */

import type { Command } from "@commander-js/extra-typings";
import { withClientOptions } from "./_client_options.ts";

export function registerStatusCommand(program: Command): void {
  withClientOptions(
    program
      .command("status")
      .description(
        "Gateway, service, default model, MCP servers and channels at a glance " +
          "(live from the gateway when it answers, else from the config)",
      )
      .option("--deep", "also probe the default model with a real one-token request")
      .option("--json", "print JSON")
      .addHelpText(
        "after",
        "\nExamples:\n  pyclaw status\n  pyclaw status --deep --json | jq .models\n\n" +
          "Exit codes: 0 reported (even with the gateway down), 1 the config is invalid.",
      ),
  ).action(async (options) => {
    const { showStatus } = await import("./status_run.ts");
    await showStatus(options);
  });
}
