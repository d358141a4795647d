/** @module The channel manager's restart of a channel whose settings changed. */

import { assert, assertEquals, waitFor } from "../../_helpers/assert.ts";
import { startFakeTelegram } from "../../_helpers/fake_telegram.ts";
import { ChannelManager } from "../../../agent/channels/channel_manager.ts";
import { type Config, configSchema } from "../../../core/config/schema.ts";
import { Logger } from "../../../core/logger.ts";

Deno.test("channels.status of a restarting channel reads starting, never unknown", async () => {
  await using telegram = await startFakeTelegram();
  const telegramSettings = (dmPolicy: string) => ({
    botToken: telegram.token,
    apiBaseUrl: telegram.url,
    pollTimeoutSec: 1,
    dmPolicy,
  });
  let config: Config = configSchema().parse({
    channels: { telegram: telegramSettings("pairing") },
  });
  const manager = new ChannelManager({
    config: () => config,
    runTurn: () => Promise.resolve("unused"),
    logger: new Logger({ consoleLevel: "silent" }),
  });
  manager.start();
  try {
    await waitFor(() => manager.status("telegram").running, 20_000, "telegram running");
    config = configSchema().parse({ channels: { telegram: telegramSettings("disabled") } });
    const restart = manager.reload();
    // The old channel is still stopping: the channel exists, and is not yet running.
    const during = manager.status("telegram");
    assertEquals([during.status, during.running], ["starting", false]);
    assert(manager.list().some((channel) => channel.id === "telegram"));
    await restart;
    await waitFor(() => manager.status("telegram").running, 20_000, "telegram restarted");
  } finally {
    await manager.stop();
  }
});
