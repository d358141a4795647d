/**
 * @module The `pyclaw channels` commands' work: `channels.*` on the gateway. Without one, what
 * the config turns on is shown as stopped: channels only run inside the gateway.
 */

import type { Config } from "../core/config/schema.ts";
import { GatewayError } from "../core/errors.ts";
import { fail, printJson } from "./_output.ts";
import { gatewayOrLocal, type GatewayOrLocalFlags } from "./_gateway_or_local.ts";
import { loadLocalConfig } from "./_local_state.ts";
import { green, red, yellow } from "./_style.ts";

type Flags = GatewayOrLocalFlags & { json?: boolean };

interface ChannelRow {
  id: string;
  type: string;
  status: string;
}

interface ChannelStatus {
  channel_id: string;
  name: string;
  running: boolean;
  status: string;
  metrics?: Record<string, unknown>;
}

/** The channels the config declares, none of them running (no gateway). */
export function configuredChannels(config: Config): ChannelStatus[] {
  const rows: ChannelStatus[] = [{
    channel_id: "webchat",
    name: "Web chat",
    running: false,
    status: config.channels.webchat.enabled ? "stopped" : "disabled",
  }];
  const telegram = config.channels.telegram;
  if (telegram) {
    rows.push({
      channel_id: "telegram",
      name: "Telegram",
      running: false,
      status: !telegram.enabled ? "disabled" : telegram.botToken ? "stopped" : "unconfigured",
    });
  }
  return rows;
}

export async function channelsList(flags: Flags): Promise<void> {
  let rows: ChannelRow[];
  let via: string;
  try {
    ({ result: rows, via } = await gatewayOrLocal(
      flags,
      (client, target) => client.request("channels.list", {}, { timeoutMs: target.timeoutMs }),
      async () =>
        configuredChannels(await loadLocalConfig()).map((c) => ({
          id: c.channel_id,
          type: c.channel_id,
          status: c.status,
        })),
      { readOnly: true },
    ));
  } catch (error) {
    fail(error);
  }
  if (flags.json) {
    printJson(rows);
    return;
  }
  for (const row of rows) {
    console.log(`${row.id.padEnd(12)} ${row.type.padEnd(10)} ${paint(row.status)}`);
  }
  if (via === "local") {
    console.log("(no gateway running: channels run inside `pyclaw gateway run`)");
  }
}

export async function channelsStatus(channel: string, flags: Flags): Promise<void> {
  let status: ChannelStatus;
  try {
    ({ result: status } = await gatewayOrLocal(
      flags,
      (client, target) =>
        client.request("channels.status", { channelId: channel }, {
          timeoutMs: target.timeoutMs,
        }),
      async () => {
        const found = configuredChannels(await loadLocalConfig()).find((c) =>
          c.channel_id === channel
        );
        if (!found) throw new GatewayError("NOT_FOUND", `Channel not found: ${channel}`);
        return found;
      },
      { readOnly: true },
    ));
  } catch (error) {
    fail(error);
  }
  if (flags.json) {
    printJson(status);
    return;
  }
  console.log(`${status.channel_id} (${status.name}): ${paint(status.status)}`);
  for (const [key, value] of Object.entries(status.metrics ?? {})) {
    console.log(`  ${key.padEnd(14)} ${value}`);
  }
}

function paint(status: string): string {
  if (status === "running") return green(status);
  if (status === "error" || status === "reconnecting") return red(status);
  return yellow(status);
}
