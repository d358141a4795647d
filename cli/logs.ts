/** @module `pyclaw logs`: the gateway's log file, filtered by level, optionally followed. */

import { type Command, Option } from "@commander-js/extra-typings";
import { parseInteger } from "./_output.ts";

export function registerLogsCommand(program: Command): void {
  program
    .command("logs")
    .description("Print the last lines of the log file (<state>/logs/pyclaw.log)")
    .option("-n, --lines <n>", "how many lines", parseInteger, 100)
    .addOption(
      new Option("--level <level>", "only this level and above")
        .choices(["debug", "info", "warn", "error"] as const),
    )
    .option("-f, --follow", "keep printing new lines as they are written (Ctrl-C stops)")
    .option("--json", "print the raw JSON lines")
    .option("--local-time", "show local time instead of UTC")
    .addHelpText(
      "after",
      "\nExamples:\n  pyclaw logs --level warn\n  pyclaw logs -f --json | jq .msg",
    )
    .action(async (options) => {
      const { showLogs } = await import("./logs_run.ts");
      await showLogs(options);
    });
}
