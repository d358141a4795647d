/** @module `pyclaw cron list | add | remove`: scheduled agent turns. */

import type { Command } from "@commander-js/extra-typings";
import { withClientOptions } from "./_client_options.ts";

export function registerCronCommands(program: Command): void {
  const cron = program
    .command("cron")
    .description("Scheduled agent turns: a message sent to an agent on a cron schedule")
    .addHelpText(
      "after",
      `
Examples:
  pyclaw cron add "0 8 * * 1-5" "Summarise my inbox" --tz Europe/Berlin
  pyclaw cron list --json
  pyclaw cron remove job_0123456789ab`,
    );

  withClientOptions(
    cron.command("list").description("List jobs with their next run").option(
      "--json",
      "print JSON",
    ),
  ).action(async (options) => {
    const { cronList } = await import("./cron_run.ts");
    await cronList(options);
  });

  withClientOptions(
    cron
      .command("add")
      .description("Add a job; without a gateway it is saved and runs once one starts")
      .argument("<schedule>", 'cron expression, e.g. "*/30 * * * *"')
      .argument("<message...>", "what to send the agent")
      .option("--agent <id>", "agent id (default main)")
      .option("--tz <timezone>", "IANA timezone of the schedule, e.g. Asia/Shanghai")
      .option("--json", "print JSON"),
  ).action(async (schedule, message, options) => {
    const { cronAdd } = await import("./cron_run.ts");
    await cronAdd(schedule, message.join(" "), options);
  });

  withClientOptions(
    cron
      .command("remove")
      .description("Remove a job")
      .argument("<id>", "job id, as `pyclaw cron list` shows it")
      .option("--json", "print JSON"),
  ).action(async (id, options) => {
    const { cronRemove } = await import("./cron_run.ts");
    await cronRemove(id, options);
  });
}
