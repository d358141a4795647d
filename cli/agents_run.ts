/** @module `pyclaw agents list`'s work: `agents.list` on the gateway, or the config. */

import { listAgents, listBindings } from "../agent/agents.ts";
import { fail, printJson } from "./_output.ts";
import { gatewayOrLocal, type GatewayOrLocalFlags } from "./_gateway_or_local.ts";
import { loadLocalConfig } from "./_local_state.ts";

interface AgentRow {
  id: string;
  name: string;
  model: string | null;
}

export async function agentsList(
  flags: GatewayOrLocalFlags & { json?: boolean; bindings?: boolean },
): Promise<void> {
  let data: { agents: AgentRow[]; bindings: { pattern: string; agentId: string }[] };
  try {
    ({ result: data } = await gatewayOrLocal(
      flags,
      async (client, target) => ({
        agents: await client.request("agents.list", {}, {
          timeoutMs: target.timeoutMs,
        }),
        bindings: flags.bindings
          ? await client.request("agents.bindings", {}, { timeoutMs: target.timeoutMs })
          : [],
      }),
      async () => {
        const config = await loadLocalConfig();
        return {
          agents: listAgents(config).map((a) => ({
            id: a.id,
            name: a.name,
            model: a.model ?? null,
          })),
          bindings: flags.bindings ? listBindings(config) : [],
        };
      },
      { readOnly: true },
    ));
  } catch (error) {
    fail(error);
  }
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
    for (const b of data.bindings) console.log(`  ${b.pattern} → ${b.agentId}`);
  }
}
