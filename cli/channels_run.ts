/**
 * @module The `pyclaw channels` commands' work: `channels.*` on the gateway. Without one, the same
 * methods in this process show what the config declares as stopped: channels only run inside
 * the gateway.
 */

import { fail, printJson } from "./_output.ts";
import { gatewayOrLocal, type GatewayOrLocalFlags } from "./_gateway_or_local.ts";
import { green, red, yellow } from "./_style.ts";

type Flags = GatewayOrLocalFlags & { json?: boolean };

export async function channelsList(flags: Flags): Promise<void> {
  const { result: rows, via } = await gatewayOrLocal(
    flags,
    (client, target) => client.request("channels.list", {}, { timeoutMs: target.timeoutMs }),
    { readOnly: true },
  ).catch((error) => fail(error));
  if (flags.json) {
    printJson(rows);
    return;
  }
  for (const row of rows) {
    console.log(`${row.id.padEnd(12)} ${row.type.padEnd(10)} ${paint(row.status)}`);
  }
  if (via === "local" && flags.local) {
    console.log(
      "(the gateway was not asked (--local): this is what the config declares; channels run " +
        "inside `pyclaw gateway run`)",
    );
  } else if (via === "local") {
    console.log("(no gateway running: channels run inside `pyclaw gateway run`)");
  }
}

export async function channelsStatus(channel: string, flags: Flags): Promise<void> {
  const { result: status } = await gatewayOrLocal(
    flags,
    (client, target) =>
      client.request("channels.status", { channelId: channel }, { timeoutMs: target.timeoutMs }),
    { readOnly: true },
  ).catch((error) => fail(error));
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
