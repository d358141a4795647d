/**
 * @module The gateway without its sockets: auth, the event bus, the services, the dispatcher and
 * the connection registry. `startGateway` puts listeners in front of it; tests can attach
 * in-memory transports to it directly and run the same connections, handlers and events.
 */

import type { Clock } from "../core/clock.ts";
import type { ConfigStore } from "../core/config/store.ts";
import { EventBus, sessionKeyOf } from "../core/event_bus.ts";
import type { Logger } from "../core/logger.ts";
import { importLazily } from "../core/lazy_module.ts";
import type { StatePaths } from "../core/paths.ts";
import type { Transport } from "../core/protocol/transport.ts";
import { AuthFailureLimiter, type GatewayAuth, resolveGatewayAuth } from "./auth.ts";
import { watchGatewayAuth } from "./auth_reload.ts";
import type { ClientAddress } from "./client_address.ts";
import { CloseCode, Connection, type ConnectionDeps } from "./connection.ts";
import { ConnectionRegistry } from "./connection_registry.ts";
import { followConfigChanges } from "./config_events.ts";
import type { GatewayRuntime } from "./context.ts";
import { Dispatcher } from "./dispatcher.ts";
import { createServices, type GatewayServices } from "./services.ts";
import type { RuntimeMode } from "../agent/runtime.ts";

/** Options for {@linkcode startGatewayCore}. */
export interface GatewayCoreOptions {
  configStore: ConfigStore;
  paths: StatePaths;
  logger: Logger;
  env: Record<string, string | undefined>;
  /** The address the gateway binds (auth refuses a non-loopback bind without a secret). */
  bindHost: string;
  /** `--auth-token`. */
  authToken?: string;
  /** Where the gateway listens, once it does (`system.info`, origin checks). */
  ports?(): { port: number; httpPort: number | undefined };
  /** Where schedules and timeouts read the time (tests pass a manual clock). @default systemClock */
  clock?: Clock;
  /**
   * `local`: the CLI's in-process route. Services in local mode (nothing scheduled, see
   * `createServices`), and the only credential a one-off token that never leaves the process.
   * @default "gateway"
   */
  mode?: RuntimeMode;
  /** Local mode: connect the configured MCP servers at start. @default true */
  connectMcp?: boolean;
  /** When the gateway started (Date.now()), for `uptime`. @default now */
  startedAt?: number;
}

/** A started gateway core. */
export interface GatewayCore {
  readonly auth: GatewayAuth;
  readonly services: GatewayServices;
  readonly bus: EventBus;
  readonly runtime: GatewayRuntime;
  readonly registry: ConnectionRegistry;
  readonly authLimiter: AuthFailureLimiter;
  /** Accepts a paired device's own token (HTTP and `connect` alike). */
  checkDeviceToken(token: string): ReturnType<GatewayServices["devices"]["deviceOf"]>;
  /**
   * Serves one client over `transport`; undefined when its address has its connections open.
   * `reserved`: the caller already took the slot with `registry.reserve` (to answer 429 before
   * upgrading a socket).
   */
  attach(transport: Transport, client: ClientAddress, reserved?: boolean): Connection | undefined;
  /** Frames the WebSocket clients have sent (RPC calls, `connect` included). */
  readonly framesReceived: number;
  /** Stops following config, auth and devices, and closes every client. */
  disconnect(): void;
  /** {@linkcode disconnect}s, then stops the services in reverse order. */
  close(): Promise<void>;
}

/**
 * Resolves auth, builds and starts the services, and wires the registry to the event bus.
 *
 * @throws {Error} when the bind/auth combination is unsafe
 */
export async function startGatewayCore(options: GatewayCoreOptions): Promise<GatewayCore> {
  const { configStore, paths, logger, env } = options;
  // At start and on every reload (a token file copied in while the gateway runs), a token file
  // others could read is said in the log.
  const resolveAuth = async () => {
    const resolved = await resolveGatewayAuth({
      flagToken: options.authToken,
      env,
      config: configStore.current,
      tokenFile: paths.tokenFile,
      bindHost: options.bindHost,
    });
    if (resolved.mode === "token" && resolved.looseFile) warnLooseTokenFile(resolved, logger);
    return resolved;
  };
  // Replaced when the token file or gateway.auth changes (see auth_reload.ts).
  const local = options.mode === "local";
  let auth: GatewayAuth = local
    ? { mode: "token", token: crypto.randomUUID(), source: "generated" }
    : await resolveAuth();
  if (auth.mode === "none") {
    logger.warn("gateway auth is OFF: any local program can use this gateway");
  }

  const bus = new EventBus();
  const { services, lifecycle } = createServices({
    configStore,
    paths,
    logger,
    bus,
    env,
    clock: options.clock,
    mode: options.mode,
    connectMcp: options.connectMcp,
  });
  const stopFailed = (service: string, error: unknown) =>
    logger.error("service did not stop cleanly", { service, error });
  await lifecycle.start(stopFailed);
  const registry = new ConnectionRegistry({
    maxPerAddress: () => configStore.current.gateway.limits.maxConnectionsPerAddress,
    onPresence: (connections) => bus.publish("presence", { connections }),
  });
  const runtime: GatewayRuntime = {
    startedAt: options.startedAt ?? Date.now(),
    paths,
    bindHost: options.bindHost,
    get port() {
      return options.ports?.().port ?? 0;
    },
    get httpPort() {
      return options.ports?.().httpPort;
    },
    get auth() {
      return auth.mode === "token" ? { mode: auth.mode, source: auth.source } : { mode: auth.mode };
    },
    env,
    clients: () => registry.clients(),
    clientCount: () => registry.clientCount,
  };
  // Stopped in reverse order at close.
  const stops: (() => void)[] = [
    bus.subscribe((event) => registry.deliver(event)),
    followConfigChanges(configStore, { logger, bus }),
    // The in-process route's token is its own: no file or config change rotates it.
    local ? () => {} : watchGatewayAuth({
      tokenFile: paths.tokenFile,
      configStore,
      resolve: resolveAuth,
      current: () => auth,
      apply: (next) => {
        auth = next;
        // What the old secret opened closes; paired devices keep their own tokens.
        registry.closeWhere(
          (connection) => connection.credential === "gateway",
          CloseCode.policyViolation,
          "credentials rotated",
        );
      },
      logger,
    }),
    // A revoked device loses the connections it has open, not only its next connect.
    services.devices.onRevoked((deviceId) =>
      registry.closeWhere(
        (connection) => connection.deviceId === deviceId,
        CloseCode.policyViolation,
        "device revoked",
      )
    ),
  ];

  const authLimiter = new AuthFailureLimiter(
    () => configStore.current.gateway.limits.authFailuresPerMinute,
    services.clock,
  );
  // Paired devices' own tokens (see docs/pairing.md), accepted on connect and HTTP alike.
  const checkDeviceToken = (token: string) => services.devices.deviceOf(token);
  let framesReceived = 0;
  const connectionDeps: ConnectionDeps = {
    // The method families load on the first call, not at start.
    dispatcher: new Dispatcher(
      async () =>
        (await importLazily<typeof import("./rpc_tables.ts")>(
          new URL("./rpc_tables.ts", import.meta.url),
        )).METHOD_TABLES,
      logger,
    ),
    auth: () => auth,
    extraCredential: checkDeviceToken,
    authLimiter,
    config: () => configStore.current,
    logger,
    context: (connection, signal) => ({
      connId: connection.id,
      client: connection.info,
      credential: { kind: connection.credential ?? "none", deviceId: connection.deviceId },
      signal,
      watchSession: (agentId, sessionId) =>
        registry.watch(connection, sessionKeyOf(agentId, sessionId)),
      config: () => configStore.current,
      configStore,
      logger,
      bus,
      gateway: runtime,
      services,
    }),
    onAuthenticated: (connection) => {
      logger.debug("client connected", {
        connId: connection.id,
        clientName: connection.clientName,
        address: connection.address,
      });
      registry.authenticated(connection);
    },
    onFrame: () => void framesReceived++,
    onClose: (connection) => {
      registry.remove(connection);
      if (connection.authenticated || connection.protocol) {
        logger.debug("client disconnected", { connId: connection.id });
      }
    },
  };

  let closing: Promise<void> | undefined;
  let disconnected = false;
  const disconnect = () => {
    if (disconnected) return;
    disconnected = true;
    for (const stop of stops.reverse()) stop();
    registry.closeAll(CloseCode.goingAway, "gateway shutting down");
  };
  return {
    get auth() {
      return auth;
    },
    services,
    bus,
    runtime,
    registry,
    authLimiter,
    checkDeviceToken,
    get framesReceived() {
      return framesReceived;
    },
    attach(transport, client, reserved = false) {
      if (!reserved && !registry.reserve(client)) return undefined;
      const connection = new Connection(transport, client, connectionDeps);
      registry.add(connection);
      return connection;
    },
    disconnect,
    close: () =>
      closing ??= (async () => {
        disconnect();
        await lifecycle.stop(stopFailed);
      })(),
  };
}

/** Logs that the token file was readable by others, and what was done about it. */
function warnLooseTokenFile(auth: GatewayAuth & { mode: "token" }, logger: Logger): void {
  const loose = auth.looseFile!;
  const mode = `0${loose.mode.toString(8)}`;
  if (loose.tightened) {
    logger.warn("the gateway token file was readable by others: made it owner-only (0600)", {
      file: auth.file,
      mode,
    });
  } else {
    logger.warn(
      "the gateway token file is a symbolic link to a file others can read: left as it is; " +
        `make it owner-only (chmod 600 ${loose.target})`,
      { file: auth.file, target: loose.target, mode },
    );
  }
}
