/** @module `pyclaw gateway discover`: gateways found by mDNS and by a bounded local probe. */

import { loadConfigFile } from "../core/config/load.ts";
import { configPath, stateDir } from "../core/paths.ts";
import { stateDirOwner } from "../core/state_owner.ts";
import { browseGateways } from "../agent/discovery/mdns.ts";
import {
  type DiscoveredGateway,
  discoveryCandidates,
  probeCandidates,
} from "../agent/discovery/probe.ts";
import { printJson } from "./_output.ts";

export interface DiscoverFlags {
  timeout: number;
  host?: string[];
  mdns?: boolean;
  json?: boolean;
}

export async function gatewayDiscover(flags: DiscoverFlags): Promise<void> {
  const env = Deno.env.toObject();
  const config = await loadConfigFile(configPath(env), env).then((c) => c.config).catch(() =>
    undefined
  );
  const port = config?.gateway.port ?? 18789;
  const mdns = flags.mdns === true || config?.gateway.discovery.mdns === true;
  // The gateway of this state dir is found wherever it listens (`gateway run --port 29310`).
  const owner = await stateDirOwner(stateDir(env));
  const recorded = owner.owned && owner.record ? [new URL(owner.record.url).host] : [];
  const candidates = discoveryCandidates(port, [...recorded, ...(flags.host ?? [])]);
  const [probed, announced] = await Promise.all([
    probeCandidates(candidates, flags.timeout),
    mdns ? browseGateways(flags.timeout) : Promise.resolve([]),
  ]);
  const gateways = merge(probed, announced);
  if (flags.json) {
    printJson({ gateways, count: gateways.length, probed: candidates.length, mdns });
    return;
  }
  if (gateways.length === 0) {
    console.log(
      `No gateway found (probed ${candidates.length} local ports${mdns ? ", browsed mDNS" : ""})`,
    );
    return;
  }
  for (const g of gateways) {
    const extra = [g.name, g.version, g.latencyMs !== undefined ? `${g.latencyMs} ms` : undefined]
      .filter(Boolean).join(", ");
    console.log(`${g.url}  (${g.source}${extra ? `: ${extra}` : ""})`);
  }
}

/** One entry per URL; an mDNS name joins the probe's answer for the same address. */
function merge(probed: DiscoveredGateway[], announced: DiscoveredGateway[]): DiscoveredGateway[] {
  const byUrl = new Map(probed.map((g) => [g.url, g]));
  for (const g of announced) byUrl.set(g.url, { ...g, ...byUrl.get(g.url), name: g.name });
  return [...byUrl.values()];
}
