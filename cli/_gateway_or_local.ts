/**
 * @module The one place that decides where a client command runs: through a running gateway
 * when one answers, otherwise in this process on the local state dir. A gateway that answers
 * but refuses the credentials is an error, never a silent fallback, and a command that writes
 * never runs in-process beside a live gateway that owns the state dir.
 */

import type { GatewayClient } from "../core/protocol/client.ts";
import type { GatewayRecord } from "../core/state_owner.ts";
import {
  type ClientFlags,
  type ClientTarget,
  connectTo,
  resolveTarget,
} from "./_gateway_client.ts";

/** Flags of every command that can run either way. */
export interface GatewayOrLocalFlags extends ClientFlags {
  /** Run in this process even when a gateway answers. */
  local?: boolean;
}

/** Where a command ended up running. */
export type Route =
  | { via: "gateway"; client: GatewayClient; target: ClientTarget }
  | { via: "local"; target: ClientTarget; reason: string };

/** How long to wait for the socket of a gateway that may not be there. */
const REACH_TIMEOUT_MS = 1_500;

/** Options of {@linkcode openRoute}. */
export interface RouteOptions {
  /**
   * The command only reads, so `--local` may run beside a live gateway.
   * @default false
   */
  readOnly?: boolean;
  /**
   * In this process, connect the configured MCP servers first (commands that run a turn or
   * report on the servers). Refused beside a live gateway like a write: it would start a
   * second copy of every stdio server (each with its own state, locks and side effects).
   * @default false
   */
  connectMcp?: boolean;
}

/**
 * Connects to the gateway when it answers; otherwise returns a local route.
 *
 * @throws {GatewayError} when the gateway answers but refuses the handshake (AUTH_REQUIRED, ...)
 * @throws {Error} when the gateway accepts the connection but does not complete the handshake
 * in time, when `--url` names a gateway that cannot be reached (the user asked for it), or when
 * a writing command would run in-process while a live gateway owns the state dir
 */
export async function openRoute(
  flags: GatewayOrLocalFlags,
  options: RouteOptions = {},
): Promise<Route> {
  const target = await resolveTarget(flags);
  const { owner } = target;
  const writes = !options.readOnly || options.connectMcp === true;
  if (flags.local) {
    if (owner.owned && writes) {
      throw new Error(ownedMessage(owner.record, "--local", options.connectMcp === true));
    }
    return { via: "local", target, reason: "--local" };
  }
  // Reachable means something accepts TCP there; after that, a slow or refusing gateway is an
  // error rather than a reason to run beside it on the same files. The gateway that owns the
  // state dir is never bypassed: it must answer.
  if (target.urlSource === "config" && !(await accepts(target.url))) {
    if (owner.owned && writes) throw new Error(ownedMessage(owner.record));
    return { via: "local", target, reason: `no gateway at ${target.url}` };
  }
  const client = await connectTo(target);
  return { via: "gateway", client, target };
}

/** Why a command refuses to run in this process while a gateway owns the state dir. */
function ownedMessage(record: GatewayRecord | undefined, flag?: string, mcp = false): string {
  if (!flag) return "A gateway is starting on this state dir: try again once it is ready";
  const who = record ? `A gateway (pid ${record.pid}, ${record.url})` : "A gateway";
  const what = mcp
    ? "would start a second copy of each MCP server beside it"
    : "would write beside it";
  return `${who} owns this state dir; ${flag} ${what}. Drop ${flag} to go ` +
    "through the gateway, or stop it first (pyclaw gateway stop)";
}

/** True when a TCP connection to the URL's host and port opens within the reach timeout. */
async function accepts(url: string): Promise<boolean> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const port = Number(parsed.port) || (parsed.protocol === "wss:" ? 443 : 80);
  const hostname = parsed.hostname.replace(/^\[|\]$/g, "");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), REACH_TIMEOUT_MS);
  });
  const attempt = Deno.connect({ hostname, port }).catch(() => undefined);
  const conn = await Promise.race([attempt, timeout]);
  clearTimeout(timer);
  if (!conn) {
    attempt.then((late) => late?.close());
    return false;
  }
  conn.close();
  return true;
}

/** Options of {@linkcode gatewayOrLocal}. */
export type GatewayOrLocalOptions = RouteOptions;

/**
 * Runs `work` with a client of the gateway when it answers, else of the same services and
 * method tables started in this process (`cli/_local_gateway.ts`), and closes it afterwards.
 * Either way the command sends the same requests and gets the same answers.
 */
export async function gatewayOrLocal<T>(
  flags: GatewayOrLocalFlags,
  work: (client: GatewayClient, target: ClientTarget) => Promise<T>,
  options: GatewayOrLocalOptions = {},
): Promise<{ result: T; via: Route["via"] }> {
  const route = await openRoute(flags, options);
  if (route.via === "local") {
    const { openLocalGateway } = await import("./_local_gateway.ts");
    const local = await openLocalGateway({ connectMcp: options.connectMcp });
    try {
      return { result: await work(local.client, route.target), via: "local" };
    } finally {
      await local.close();
    }
  }
  try {
    return { result: await work(route.client, route.target), via: "gateway" };
  } finally {
    route.client.close();
    await route.client.closed;
  }
}
