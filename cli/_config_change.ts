/**
 * @module One way for CLI commands to change the config: `config.set` / `config.patch` through
 * the running gateway when it owns this state dir and loaded this same file, so the change is in
 * force when the command returns and the next command sees it; otherwise the same methods on the
 * gateway's services in this process, which write the file (the same params schema, errors and
 * validation either way). A file write alone reaches a gateway only when its watcher fires.
 */

import type { ConfigStore } from "../core/config/store.ts";
import type { GatewayClient } from "../core/protocol/client.ts";
import { configPath } from "../core/paths.ts";
import { isGatewayError } from "../core/errors.ts";
import { connectTo, resolveTarget } from "./_gateway_client.ts";

/** A change: one key, or a JSON merge patch. */
export type ConfigChange =
  | { key: string; value: unknown }
  | { patch: Record<string, unknown> };

/** How the change was applied. */
export interface ConfigChangeResult {
  via: "gateway" | "file";
  /** Keys that only a gateway restart applies (`gateway.port`, ...), as the gateway reports. */
  restartRequired?: string[];
  /** Why the gateway did not take it, when it was there but the file was written instead. */
  fallback?: string;
  /** The gateway took new credentials and closed the connections of the old ones. */
  credentialsRotated?: boolean;
}

/**
 * Applies `change` through the owning gateway, else with `store` on the file.
 *
 * @throws {GatewayError} INVALID_PARAMS when the change is invalid, from either route
 */
export async function applyConfigChange(
  change: ConfigChange,
  store: ConfigStore,
): Promise<ConfigChangeResult> {
  const target = await resolveTarget({});
  const owner = target.owner.owned ? target.owner.record : undefined;
  // A gateway that loaded another file (PYCLAW_CONFIG_PATH differs) is not affected by this one.
  if (owner && owner.configPath === configPath(Deno.env.toObject())) {
    let fallback: string;
    try {
      const client = await connectTo({ ...target, url: owner.url });
      try {
        const result = await request(client, change);
        return { via: "gateway", restartRequired: result.restartRequired };
      } finally {
        client.close();
        await client.closed;
      }
    } catch (error) {
      // The gateway judged the change itself: its verdict stands, and nothing was written.
      if (isGatewayError(error) && error.code === "INVALID_PARAMS") throw error;
      fallback = error instanceof Error ? error.message : String(error);
      // A change of the gateway's own credentials is in force once the gateway closes the
      // connections that used the old ones, this one included, before it could answer.
      if (CREDENTIALS_ROTATED.test(fallback) && touchesGatewayAuth(change)) {
        return { via: "gateway", credentialsRotated: true };
      }
    }
    // Still write the file, so a gateway that cannot be reached (a bad token, say) can be fixed
    // from here; it reloads the file on its own. The gateway holds the state dir, so this is the
    // store's own validated write rather than a second set of services beside it.
    if ("key" in change) await store.set(change.key, change.value);
    else await store.patch(change.patch);
    return { via: "file", fallback };
  }
  const { openLocalGateway } = await import("./_local_gateway.ts");
  const local = await openLocalGateway();
  try {
    await request(local.client, change);
  } finally {
    await local.close();
  }
  return { via: "file" };
}

/** The close reason of a gateway that took new credentials (server/gateway_core.ts). */
const CREDENTIALS_ROTATED = /: credentials rotated \(close code \d+\)$/;

function touchesGatewayAuth(change: ConfigChange): boolean {
  if ("key" in change) return change.key === "gateway" || change.key.startsWith("gateway.auth");
  const gateway = change.patch.gateway;
  return typeof gateway === "object" && gateway !== null && "auth" in gateway;
}

function request(client: GatewayClient, change: ConfigChange) {
  return "key" in change
    ? client.request("config.set", change)
    : client.request("config.patch", change);
}

/** Tells the user how the change was applied, beyond the command's own message. */
export function printConfigChange(result: ConfigChangeResult): void {
  if (result.credentialsRotated) {
    console.log(
      "Applied by the running gateway, which closed the connections that used the old credentials",
    );
  } else if (result.via === "gateway") console.log("Applied by the running gateway");
  if (result.fallback) {
    console.error(
      `Warning: the running gateway did not take the change (${result.fallback}); the file ` +
        "was written and the gateway reloads it on its own",
    );
  }
  if (result.restartRequired?.length) {
    const keys = result.restartRequired.join(", ");
    console.log(`Restart the gateway to apply ${keys} (pyclaw gateway restart)`);
  }
}
