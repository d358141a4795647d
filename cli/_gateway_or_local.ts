/**
 * @module The one place that decides where a client command runs: through a running gateway
 * when one answers, otherwise in this process on the local state dir. A gateway that answers
 * but refuses the credentials is an error, never a silent fallback.
 */

import { isGatewayError } from "../core/errors.ts";
import type { GatewayClient } from "../core/protocol/client.ts";
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

/**
 * Connects to the gateway when it answers; otherwise returns a local route.
 *
 * @throws {GatewayError} when the gateway answers but refuses the handshake (AUTH_REQUIRED, …)
 * @throws {Error} when `--url` names a gateway that cannot be reached: the user asked for it
 */
export async function openRoute(flags: GatewayOrLocalFlags): Promise<Route> {
  const target = await resolveTarget(flags);
  if (flags.local) return { via: "local", target, reason: "--local" };
  try {
    const client = await connectTo({
      ...target,
      timeoutMs: Math.min(target.timeoutMs, REACH_TIMEOUT_MS),
    });
    return { via: "gateway", client, target };
  } catch (error) {
    if (isGatewayError(error) || flags.url) throw error;
    return { via: "local", target, reason: `no gateway at ${target.url}` };
  }
}

/**
 * Runs `remote` on the gateway when it answers, else `local` in this process, and closes the
 * connection afterwards.
 */
export async function gatewayOrLocal<T>(
  flags: GatewayOrLocalFlags,
  remote: (client: GatewayClient, target: ClientTarget) => Promise<T>,
  local: (target: ClientTarget) => Promise<T>,
): Promise<{ result: T; via: Route["via"] }> {
  const route = await openRoute(flags);
  if (route.via === "local") return { result: await local(route.target), via: "local" };
  try {
    return { result: await remote(route.client, route.target), via: "gateway" };
  } finally {
    route.client.close();
    await route.client.closed;
  }
}
