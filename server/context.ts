/** @module What a handler gets: a narrow per-request context over the gateway's services. */

import type { Config } from "../core/config/schema.ts";
import type { ConfigStore } from "../core/config/store.ts";
import type { EventBus } from "../core/event_bus.ts";
import type { Logger } from "../core/logger.ts";
import type { StatePaths } from "../core/paths.ts";
import type { Credential } from "./auth.ts";
import type { GatewayServices } from "./services.ts";

/** One connected client, as `system.presence` shows it. */
export interface ClientInfo {
  connId: string;
  clientName: string;
  address: string;
  connectedAt: string;
  protocol: number;
}

/** Facts about the running gateway that handlers may read. */
export interface GatewayRuntime {
  readonly startedAt: number;
  readonly paths: StatePaths;
  readonly bindHost: string;
  readonly port: number;
  readonly httpPort: number | undefined;
  /** How clients authenticate, and where the secret came from (never the secret). */
  readonly auth: { mode: "token" | "password" | "none"; source?: string };
  /** The environment the gateway started with (handlers never read Deno.env). */
  readonly env: Record<string, string | undefined>;
  /** Every authenticated connection. */
  clients(): ClientInfo[];
  /** How many there are (`clients().length`, at no cost per connection). */
  clientCount(): number;
}

/** The context passed to every handler. */
export interface RpcContext {
  readonly connId: string;
  readonly client: ClientInfo;
  /**
   * What the caller authenticated with; a device is held to its role (`server/method_scopes.ts`).
   * Absent for in-process callers, which hold the gateway's rights.
   */
  readonly credential?: Credential;
  /** Aborted when the client disconnects (and, for chats, on `chat.abort`). */
  readonly signal: AbortSignal;
  /**
   * Delivers a session's events (`chat.*`) to this connection from now on: called by the
   * methods that send to or read a session, so its sender and readers see its runs.
   */
  watchSession(agentId: string, sessionId: string): void;
  /** The config in force now; a reload swaps it underneath. */
  config(): Config;
  readonly configStore: ConfigStore;
  readonly logger: Logger;
  readonly bus: EventBus;
  readonly gateway: GatewayRuntime;
  readonly services: GatewayServices;
}
