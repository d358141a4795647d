/** @module `gateway status`, `gateway probe` and `gateway call`: client-side commands. */

import { errorMessage, GatewayError } from "../core/errors.ts";
import type { GatewayClient } from "../core/protocol/client.ts";
import type { MethodResult } from "../core/protocol/methods.ts";
import type { GatewayRecord } from "../core/state_owner.ts";
import { fail, printJson } from "./_output.ts";
import { type ClientFlags, connectTo, resolveTarget } from "./_gateway_client.ts";
import type { ServiceStatus } from "./gateway_service.ts";

interface ProbeResult {
  ok: boolean;
  url: string;
  latencyMs?: number;
  protocol?: number;
  server?: { name: string; version: string };
  health?: unknown;
  error?: { code?: string; message: string };
}

async function probe(flags: ClientFlags): Promise<{ result: ProbeResult; client?: GatewayClient }> {
  const target = await resolveTarget(flags);
  const started = performance.now();
  try {
    const client = await connectTo(target);
    const health = await client.request("health", {}, { timeoutMs: target.timeoutMs });
    return {
      client,
      result: {
        ok: true,
        url: target.url,
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
        protocol: client.hello?.protocol,
        server: client.hello?.server,
        health,
      },
    };
  } catch (error) {
    const code = error instanceof GatewayError ? error.code : undefined;
    return {
      result: { ok: false, url: target.url, error: { code, message: (error as Error).message } },
    };
  }
}

export async function gatewayProbe(flags: ClientFlags & { json?: boolean }): Promise<void> {
  const { result, client } = await probe(flags);
  client?.close();
  if (flags.json) printJson(result);
  else if (result.ok) {
    console.log(
      `OK ${result.url}: ${result.server?.name} ${result.server?.version}, protocol ${result.protocol}, ${result.latencyMs} ms`,
    );
  } else {
    console.error(
      `FAILED ${result.url}: ${
        result.error?.code ? result.error.code + ": " : ""
      }${result.error?.message}`,
    );
  }
  Deno.exit(result.ok ? 0 : 1);
}

/** How long `status --deep` waits for `doctor.run` at least. */
const DEEP_DOCTOR_TIMEOUT_MS = 60_000;

/** What `gateway status` reports (`--json` prints it as it is). */
interface GatewayStatus {
  url: string;
  /** What the gateway of this state dir really uses, which `--port` may have changed. */
  running: Pick<GatewayRecord, "pid" | "port" | "url" | "httpUrl" | "startedAt"> | null;
  config: { port: number; bind: string; authMode: string } | { error: string | undefined };
  service: ServiceStatus;
  probe?: ProbeResult;
  deep?: DeepStatus;
}

/** A method's answer, or why it did not come. */
type Answer<T> = T | { error: string };

/** What `status --deep` asks the gateway. */
interface DeepStatus {
  "system.info": Answer<MethodResult<"system.info">>;
  "system.presence": Answer<MethodResult<"system.presence">>;
  "doctor.run": Answer<MethodResult<"doctor.run">>;
}

export async function gatewayStatus(
  flags: ClientFlags & { probe?: boolean; deep?: boolean; json?: boolean },
): Promise<void> {
  const target = await resolveTarget(flags);
  const config = target.config;
  const record = target.owner.owned ? target.owner.record : undefined;
  const status: GatewayStatus = {
    url: target.url,
    running: record
      ? {
        pid: record.pid,
        port: record.port,
        url: record.url,
        httpUrl: record.httpUrl,
        startedAt: record.startedAt,
      }
      : null,
    config: config
      ? { port: config.gateway.port, bind: config.gateway.bind, authMode: config.gateway.auth.mode }
      : { error: target.configError },
    service: await (await import("./gateway_service.ts")).serviceStatus(),
  };
  let ok = true;
  if (flags.probe !== false) {
    const { result, client } = await probe(flags);
    status.probe = result;
    ok = result.ok;
    if (client && flags.deep) {
      const timeoutMs = target.timeoutMs;
      status.deep = {
        "system.info": await answer(client.request("system.info", {}, { timeoutMs })),
        "system.presence": await answer(client.request("system.presence", {}, { timeoutMs })),
        // The doctor spawns Chromium, loads the local runtime and waits for MCP servers (up
        // to their connectTimeoutMs): seconds on an idle machine, often past --timeout's 5 s
        // default on a busy one.
        "doctor.run": await answer(
          client.request("doctor.run", {}, {
            timeoutMs: Math.max(timeoutMs, DEEP_DOCTOR_TIMEOUT_MS),
          }),
        ),
      };
    }
    client?.close();
  }
  if (flags.json) printJson(status);
  else printStatus(status);
  Deno.exit(ok ? 0 : 1);
}

async function answer<T>(request: Promise<T>): Promise<Answer<T>> {
  try {
    return await request;
  } catch (error) {
    return { error: errorMessage(error) };
  }
}

function printStatus(status: GatewayStatus): void {
  const { config, running } = status;
  console.log(`Gateway  ${status.url}`);
  if (running) {
    const http = running.httpUrl ? `, HTTP ${running.httpUrl}` : "";
    console.log(
      `Running  pid ${running.pid}, port ${running.port}${http}, since ${running.startedAt}`,
    );
  } else console.log("Running  no gateway owns this state dir");
  if ("error" in config) console.log(`Config   INVALID: ${config.error}`);
  else {
    const differs = running && running.port !== config.port ? " (the gateway runs on another)" : "";
    console.log(
      `Config   port ${config.port}${differs}, bind ${config.bind}, auth ${config.authMode}`,
    );
  }
  printService(status.service);
  const probe = status.probe;
  if (probe) {
    console.log(
      probe.ok
        ? `Probe    OK: ${probe.server?.name} ${probe.server?.version}, protocol ${probe.protocol}, ${probe.latencyMs} ms`
        : `Probe    FAILED: ${
          probe.error?.code ? probe.error.code + ": " : ""
        }${probe.error?.message}`,
    );
  }
  if (status.deep) printDeep(status.deep);
}

function printDeep(deep: DeepStatus): void {
  const info = deep["system.info"];
  if (!("error" in info)) {
    console.log(
      `System   ${info.platform}/${info.arch}, deno ${info.runtime.version}, up ${
        Math.round(info.uptime / 1000)
      } s`,
    );
  }
  const presence = deep["system.presence"];
  if (!("error" in presence)) {
    // Presence lists the channels that are up after the clients; they have no client name.
    const clients = presence.entries.flatMap((e) => e.kind === "client" ? [e.clientName] : []);
    console.log(`Clients  ${clients.length}: ${clients.join(", ")}`);
  }
  const doctor = deep["doctor.run"];
  if (!("error" in doctor)) {
    console.log(
      `Doctor   ${doctor.summary.ok} ok, ${doctor.summary.warn} warn, ${doctor.summary.fail} fail`,
    );
  }
}

export async function gatewayCall(
  method: string,
  flags: ClientFlags & { params?: string; json?: boolean },
): Promise<void> {
  let params: unknown;
  try {
    params = JSON.parse(flags.params ?? "{}");
  } catch (error) {
    fail(
      new GatewayError("INVALID_PARAMS", `--params is not valid JSON: ${(error as Error).message}`),
      2,
    );
  }
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    fail(new GatewayError("INVALID_PARAMS", "--params must be a JSON object"), 2);
  }
  const target = await resolveTarget(flags);
  let client: GatewayClient | undefined;
  try {
    client = await connectTo(target);
    const result = await client.request(method, params, { timeoutMs: target.timeoutMs });
    console.log(flags.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
  } catch (error) {
    client?.close();
    fail(error);
  }
  client.close();
  Deno.exit(0);
}

function printService(service: ServiceStatus): void {
  const state = !service.installed
    ? "not installed (`pyclaw gateway install` makes it a user service)"
    : service.active === null
    ? `installed (${service.detail ?? "the service manager cannot be asked"})`
    : `${service.active ? "running" : "stopped"}, ${service.enabled ? "enabled" : "disabled"}`;
  console.log(`Service  ${service.manager} ${service.name}: ${state}`);
  if (service.installed) console.log(`         ${service.unitFile}`);
  if (service.pid) console.log(`         a gateway started by hand runs as pid ${service.pid}`);
}
