/** @module `gateway status`, `gateway probe` and `gateway call`: client-side commands. */

import { GatewayError } from "../core/errors.ts";
import type { GatewayClient } from "../core/protocol/client.ts";
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

export async function gatewayStatus(
  flags: ClientFlags & { probe?: boolean; deep?: boolean; json?: boolean },
): Promise<void> {
  const target = await resolveTarget(flags);
  const config = target.config;
  const record = target.owner.owned ? target.owner.record : undefined;
  const status: Record<string, unknown> = {
    url: target.url,
    // What the gateway of this state dir really uses, which `--port` may have changed.
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
      const deep: Record<string, unknown> = {};
      for (const method of ["system.info", "system.presence", "doctor.run"]) {
        try {
          // The doctor spawns Chromium, loads the local runtime and waits for MCP servers (up
          // to their connectTimeoutMs): seconds on an idle machine, often past --timeout's 5 s
          // default on a busy one.
          const timeoutMs = method === "doctor.run"
            ? Math.max(target.timeoutMs, DEEP_DOCTOR_TIMEOUT_MS)
            : target.timeoutMs;
          deep[method] = await client.request(method, {}, { timeoutMs });
        } catch (error) {
          deep[method] = { error: (error as Error).message };
        }
      }
      status.deep = deep;
    }
    client?.close();
  }
  if (flags.json) printJson(status);
  else printStatus(status);
  Deno.exit(ok ? 0 : 1);
}

function printStatus(status: Record<string, unknown>): void {
  const config = status.config as Record<string, unknown>;
  const running = status.running as GatewayRecord | null;
  console.log(`Gateway  ${status.url}`);
  if (running) {
    const http = running.httpUrl ? `, HTTP ${running.httpUrl}` : "";
    console.log(
      `Running  pid ${running.pid}, port ${running.port}${http}, since ${running.startedAt}`,
    );
  } else console.log("Running  no gateway owns this state dir");
  if (config.error) console.log(`Config   INVALID: ${config.error}`);
  else {
    const differs = running && running.port !== config.port ? " (the gateway runs on another)" : "";
    console.log(
      `Config   port ${config.port}${differs}, bind ${config.bind}, auth ${config.authMode}`,
    );
  }
  printService(status.service as ServiceStatus);
  const probe = status.probe as ProbeResult | undefined;
  if (probe) {
    console.log(
      probe.ok
        ? `Probe    OK: ${probe.server?.name} ${probe.server?.version}, protocol ${probe.protocol}, ${probe.latencyMs} ms`
        : `Probe    FAILED: ${
          probe.error?.code ? probe.error.code + ": " : ""
        }${probe.error?.message}`,
    );
  }
  const deep = status.deep as Record<string, Record<string, unknown>> | undefined;
  if (deep) {
    const info = deep["system.info"];
    if (info && !info.error) {
      console.log(
        `System   ${info.platform}/${info.arch}, deno ${
          (info.runtime as { version: string })?.version
        }, up ${Math.round(Number(info.uptime) / 1000)} s`,
      );
    }
    const presence = deep["system.presence"] as { entries?: { clientName: string }[] };
    if (presence?.entries) {
      console.log(
        `Clients  ${presence.entries.length}: ${
          presence.entries.map((e) => e.clientName).join(", ")
        }`,
      );
    }
    const doctor = deep["doctor.run"] as { summary?: { ok: number; warn: number; fail: number } };
    if (doctor?.summary) {
      console.log(
        `Doctor   ${doctor.summary.ok} ok, ${doctor.summary.warn} warn, ${doctor.summary.fail} fail`,
      );
    }
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
