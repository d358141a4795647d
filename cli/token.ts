/** @module `pyclaw token show | rotate`: the gateway's own auth token. */

import type { Command } from "@commander-js/extra-typings";

export function registerTokenCommands(program: Command): void {
  const token = program
    .command("token")
    .description(
      "Show or rotate the gateway's auth token (PYCLAW_AUTH_TOKEN, config, or token file)",
    )
    .addHelpText("after", "\nExamples:\n  pyclaw token show\n  pyclaw token rotate --json");

  token
    .command("show")
    .description("Show where the token comes from, masked unless --reveal")
    .option("--reveal", "print the whole token (to paste into another client)")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { tokenShow } = await import("./token_run.ts");
      await tokenShow(options);
    });

  token
    .command("rotate")
    .description(
      "Replace the token with a new random one where it lives; a running gateway switches " +
        "within a second and closes the connections the old token opened",
    )
    .option("--reveal", "print the new token in full")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { tokenRotate } = await import("./token_run.ts");
      await tokenRotate(options);
    });
}
