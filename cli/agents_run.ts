/** @module `pyclaw agents list`'s work: `agents.list` (and `agents.bindings`), gateway or local. */

import { fail, printJson } from "./_output.ts";
import { gatewayOrLocal, type GatewayOrLocalFlags } from "./_gateway_or_local.ts";

export async function agentsList(
  flags: GatewayOrLocalFlags & { json?: boolean; bindings?: boolean },
): Promise<void> {
  const { result: data } = await gatewayOrLocal(
    flags,
    async (client, target) => ({
      agents: await client.request("agents.list", {}, { timeoutMs: target.timeoutMs }),
      bindings: flags.bindings
        ? await client.request("agents.bindings", {}, { timeoutMs: target.timeoutMs })
        : [],
    }),
    { readOnly: true },
  ).catch((error) => fail(error));
  if (flags.json) {
    printJson(flags.bindings ? data : data.agents);
    return;
  }
  for (const agent of data.agents) {
    console.log(
      `${agent.id.padEnd(16)} ${agent.name.padEnd(20)} ${agent.model ?? "(no model set)"}`,
    );
  }
  if (flags.bindings) {
    console.log(
      data.bindings.length ? "\nBindings:" : "\nNo bindings: all channel traffic goes to main",
    );
    for (const b of data.bindings) console.log(`  ${b.pattern} \u2192 ${b.agentId}`);
  }
}
