/**
 * @module `pyclaw status`' work: one look at everything. With a gateway the facts are live
 * (`models.list`, `mcp.status`, `channels.list`); without one they come from the config.
 */

import { VERSION } from "../core/version.ts";
import type { Config } from "../core/config/schema.ts";
import type { GatewayClient } from "../core/protocol/client.ts";
import type { MethodName, MethodParams, MethodResult } from "../core/protocol/methods.ts";
import { fail, printJson } from "./_output.ts";
import { type GatewayOrLocalFlags, openRoute, type Route } from "./_gateway_or_local.ts";
import { loadLocalConfig } from "./_local_state.ts";
import { serviceStatus } from "./gateway_service.ts";
import { bold, green, red, yellow } from "./_style.ts";

type Flags = GatewayOrLocalFlags & { deep?: boolean; json?: boolean };

/** `models.probe`'s answer, or a failed probe's reason. */
type Probe =
  | MethodResult<"models.probe">
  | { available: false; latency: number; error: string };

interface Status {
  version: string;
  gateway: {
    url: string;
    /** Whether it answers; with `--local`, whether a gateway holds the state dir (not asked). */
    running: boolean;
    /** False with `--local`: the gateway was not asked. */
    asked: boolean;
    pid?: number;
    version?: string;
    error?: string;
  };
  service: Awaited<ReturnType<typeof serviceStatus>>;
  models: {
    default: string | null;
    providers: string[];
    available?: number;
    probe?: Probe;
  };
  mcp: { name: string; state: string; tools?: number; error?: string }[];
  channels: { id: string; status: string }[];
}

export async function showStatus(flags: Flags): Promise<void> {
  let config: Config;
  try {
    config = await loadLocalConfig();
  } catch (error) {
    fail(error);
  }
  let route: Route;
  try {
    route = await openRoute(flags, { readOnly: true });
  } catch (error) {
    // A gateway that refuses us still counts as running; the rest comes from the config.
    route = { via: "local", target: await openTarget(flags), reason: (error as Error).message };
  }
  const status: Status = {
    version: VERSION,
    gateway: route.via === "local" && route.reason === "--local"
      ? {
        url: route.target.owner.owned
          ? route.target.owner.record?.url ?? route.target.url
          : route.target.url,
        running: route.target.owner.owned,
        asked: false,
        ...(route.target.owner.owned && route.target.owner.record
          ? { pid: route.target.owner.record.pid }
          : {}),
      }
      : { url: route.target.url, running: route.via === "gateway", asked: true },
    service: await serviceStatus(),
    models: {
      default: config.agents.defaults.model ?? null,
      providers: Object.keys(config.models.providers),
    },
    mcp: Object.entries(config.tools.mcpServers).map(([name, server]) => ({
      name,
      state: server.enabled === false ? "disabled" : "configured",
    })),
    channels: await configuredChannels(config),
  };
  if (route.via === "gateway") {
    status.gateway.version = route.client.hello?.server.version;
    await live(route.client, route.target.timeoutMs, status, flags);
    route.client.close();
    await route.client.closed;
  } else if (route.reason !== `no gateway at ${route.target.url}` && route.reason !== "--local") {
    status.gateway.error = route.reason;
  }
  if (flags.deep && route.via === "local" && status.models.default) {
    status.models.probe = await localProbe(status.models.default, route.target.timeoutMs);
  }
  if (flags.json) printJson(status);
  else print(status);
}

/** What the config turns on, none of it running (channels run inside the gateway). */
async function configuredChannels(config: Config): Promise<Status["channels"]> {
  const { declaredChannels } = await import("../agent/channels/channel_manager.ts");
  return [...declaredChannels(config).values()].map((channel) => ({
    id: channel.id,
    status: channel.status().status,
  }));
}

async function openTarget(flags: Flags) {
  const { resolveTarget } = await import("./_gateway_client.ts");
  return await resolveTarget(flags);
}

/** Fills in what the running gateway knows; a method that fails leaves the config's view. */
async function live(client: GatewayClient, timeoutMs: number, status: Status, flags: Flags) {
  const ask = <M extends MethodName>(method: M, params?: MethodParams<M>) =>
    client.request(method, params, { timeoutMs }).catch(() => undefined);
  const [models, mcp, channels] = await Promise.all([
    ask("models.list"),
    ask(
      "mcp.status",
    ),
    ask("channels.list"),
  ]);
  if (models) status.models.available = models.length;
  if (mcp) {
    status.mcp = mcp.servers.map((s) => ({
      name: s.name,
      state: s.state,
      tools: s.toolCount,
      ...(s.lastError ? { error: s.lastError } : {}),
    }));
  }
  if (channels) status.channels = channels.map((c) => ({ id: c.id, status: c.status }));
  if (flags.deep && status.models.default) {
    status.models.probe = await probe(client, status.models.default, timeoutMs);
  }
}

/** `models.probe`: the model's answer, or why the probe itself failed (an unknown provider). */
async function probe(client: GatewayClient, model: string, timeoutMs: number): Promise<Probe> {
  try {
    return await client.request("models.probe", { model }, { timeoutMs });
  } catch (error) {
    return { available: false, latency: 0, error: (error as Error).message };
  }
}

/** The same probe on the gateway's services started in this process. */
async function localProbe(model: string, timeoutMs: number): Promise<Probe> {
  const { openLocalGateway } = await import("./_local_gateway.ts");
  const local = await openLocalGateway();
  try {
    return await probe(local.client, model, timeoutMs);
  } finally {
    await local.close();
  }
}

function print(status: Status): void {
  const g = status.gateway;
  console.log(`${bold("pyclaw")} ${status.version}`);
  const gateway = !g.asked
    ? `not asked (--local)${
      g.running ? `; this state dir's gateway runs${g.pid ? ` (pid ${g.pid}, ${g.url})` : ""}` : ""
    }`
    : g.running
    ? green(`running at ${g.url}`) + ` (${g.version})`
    : yellow(`not running at ${g.url}`);
  console.log(`Gateway   ${gateway}${g.error ? red(` (${g.error})`) : ""}`);
  const s = status.service;
  console.log(
    `Service   ${
      s.installed
        ? `${s.manager} ${s.active === null ? "installed" : s.active ? "running" : "stopped"}`
        : "not installed"
    }`,
  );
  const m = status.models;
  const probe = m.probe
    ? m.probe.available
      ? green(`, probe OK ${m.probe.latency} ms`)
      : red(`, probe FAILED: ${m.probe.error}`)
    : "";
  console.log(
    `Model     ${m.default ?? yellow("none set (pyclaw setup)")}${
      m.available !== undefined ? `, ${m.available} available` : ""
    }${probe}`,
  );
  console.log(`Providers ${m.providers.join(", ") || "none configured"}`);
  console.log(
    `MCP       ${
      status.mcp.map((x) =>
        `${x.name} ${x.state}${x.tools !== undefined ? ` (${x.tools} tools)` : ""}`
      )
        .join(", ") || "no servers"
    }`,
  );
  console.log(`Channels  ${status.channels.map((c) => `${c.id} ${c.status}`).join(", ")}`);
}
