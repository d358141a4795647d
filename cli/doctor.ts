/** @module `pyclaw doctor`: checks the installation without needing a running gateway. */

import type { Command } from "@commander-js/extra-typings";

export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("Check config, state dir, auth and more; exit 1 when a check fails")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  pyclaw doctor\n  pyclaw doctor --json | jq .summary")
    .action(async (options) => {
      const { runDoctorCommand } = await import("./doctor_run.ts");
      await runDoctorCommand(options);
    });
}
