/** @module `pyclaw channels list | status`: the chat channels and how they are doing. */

import type { Command } from "@commander-js/extra-typings";
import { withClientOptions } from "./_client_options.ts";

export function registerChannelsCommands(program: Command): void {
  const channels = program
    .command("channels")
    .description("Chat channels (webchat, telegram): live state from the gateway, else the config")
    .addHelpText(
      "after",
      "\nExamples:\n  pyclaw channels list\n  pyclaw channels status telegram --json",
    );

  withClientOptions(
    channels.command("list").description("List channels: id, type, status").option(
      "--json",
      "print JSON",
    ),
  ).action(async (options) => {
    const { channelsList } = await import("./channels_run.ts");
    await channelsList(options);
  });

  withClientOptions(
    channels
      .command("status")
      .description("One channel's state and counters (received, sent, rejected, errors)")
      .argument("<channel>", "channel id, e.g. telegram")
      .option("--json", "print JSON"),
  ).action(async (channel, options) => {
    const { channelsStatus } = await import("./channels_run.ts");
    await channelsStatus(channel, options);
  });
}
