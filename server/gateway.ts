/**
 * @module The gateway: builds and starts the services, opens the listeners (one request handler
 * for the WebSocket and HTTP ports), and wires WebSocket clients into the connection registry,
 * which delivers the event bus to them.
 */

import type { ConfigStore } from "../core/config/store.ts";
import { EventBus, sessionKeyOf } from "../core/event_bus.ts";
import { bindAddress, isLoopbackHost } from "../core/gateway_token.ts";
import type { Logger } from "../core/logger.ts";
import type { StatePaths } from "../core/paths.ts";
import { webSocketTransport } from "../core/protocol/transport.ts";
import { AuthFailureLimiter, type GatewayAuth, resolveGatewayAuth } from "./auth.ts";
import { watchGatewayAuth } from "./auth_reload.ts";
import { CloseCode, Connection, type ConnectionDeps } from "./connection.ts";
import { ConnectionRegistry } from "./connection_registry.ts";
import { followConfigChanges } from "./config_events.ts";
import type { GatewayRuntime } from "./context.ts";
import { Dispatcher } from "./dispatcher.ts";
import { createRequestHandler } from "./http_handler.ts";
import { isOwnOrigin } from "./origin.ts";
import { type Listeners, openListeners } from "./listeners.ts";
import { METHOD_TABLES } from "./rpc_tables.ts";
import { createServices, type GatewayServices } from "./services.ts";
import { HTTP_ROUTES } from "./http_route_list.ts";

/** Options for {@linkcode startGateway}; flags from the command line win over config. */
export interface GatewayOptions {
  configStore: ConfigStore;
  paths: StatePaths;
  logger: Logger;
  env: Record<string, string | undefined>;
  /** `--port`; 0 picks a free port. */
  port?: number;
  /** `--bind`. */
  bind?: string;
  /** `--auth-token`. */
  authToken?: string;
  /** Second HTTP listener; default from config, else port + 1 (0 when port is 0). */
  httpPort?: number | false;
}

/** A running gateway. */
export interface Gateway {
  readonly url: string;
  readonly httpUrl: string | undefined;
  readonly port: number;
  readonly httpPort: number | undefined;
  readonly auth: GatewayAuth;
  readonly services: GatewayServices;
  readonly bus: EventBus;
  readonly runtime: GatewayRuntime;
  /** Stops listening, closes every client and service. Resolves within a few seconds. */
  close(): Promise<void>;
}

/**
 * Starts the gateway.
 *
 * @throws {Error} when the bind/auth combination is unsafe or the port is taken
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { configStore, paths, logger, env } = options;
  const config = configStore.current;
  const hostname = bindAddress(options.bind ?? config.gateway.bind);
  const resolveAuth = () =>
    resolveGatewayAuth({
      flagToken: options.authToken,
      env,
      config: configStore.current,
      tokenFile: paths.tokenFile,
      bindHost: hostname,
    });
  // Replaced when the token file or gateway.auth changes (see auth_reload.ts).
  let auth = await resolveAuth();
  if (auth.mode === "none") {
    logger.warn("gateway auth is OFF: any local program can use this gateway");
  }

  const bus = new EventBus();
  const { services, lifecycle } = createServices({ configStore, paths, logger, bus, env });
  const stopFailed = (service: string, error: unknown) =>
    logger.error("service did not stop cleanly", { service, error });
  await lifecycle.start(stopFailed);
  const registry = new ConnectionRegistry({
    maxPerAddress: () => configStore.current.gateway.limits.maxConnectionsPerAddress,
    onPresence: (connections) => bus.publish({ event: "presence", payload: { connections } }),
  });
  let listeners: Listeners | undefined;
  const runtime: GatewayRuntime = {
    startedAt: Date.now(),
    paths,
    bindHost: hostname,
    get port() {
      return listeners?.port ?? 0;
    },
    get httpPort() {
      return listeners?.httpPort;
    },
    get auth() {
      return auth.mode === "token" ? { mode: auth.mode, source: auth.source } : { mode: auth.mode };
    },
    env,
    clients: () => registry.clients(),
  };
  // Stopped in reverse order at close.
  const stops: (() => void)[] = [
    bus.subscribe((event) => registry.deliver(event)),
    followConfigChanges(configStore, { logger, bus }),
    watchGatewayAuth({
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

  const authLimiter = new AuthFailureLimiter(() =>
    configStore.current.gateway.limits.authFailuresPerMinute
  );
  // Paired devices' own tokens (see docs/pairing.md), accepted on connect and HTTP alike.
  const checkDeviceToken = (token: string) => services.devices.deviceOf(token);
  const connectionDeps: ConnectionDeps = {
    dispatcher: new Dispatcher(METHOD_TABLES, logger),
    auth: () => auth,
    extraCredential: checkDeviceToken,
    authLimiter,
    config: () => configStore.current,
    logger,
    context: (connection, signal) => ({
      connId: connection.id,
      client: connection.info,
      signal,
      notify: (event, payload) => connection.sendEvent(event, payload),
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
    onClose: (connection) => {
      registry.remove(connection);
      if (connection.authenticated || connection.protocol) {
        logger.debug("client disconnected", { connId: connection.id });
      }
    },
  };

  const handler = createRequestHandler({
    config: () => configStore.current,
    logger,
    routes: HTTP_ROUTES,
    startedAt: runtime.startedAt,
    isOwnOrigin: (origin, host) =>
      isOwnOrigin(origin, host, {
        allowed: configStore.current.gateway.auth.allowedOrigins,
        ports: [runtime.port, runtime.httpPort].filter((p): p is number => Boolean(p)),
      }),
    auth: () => auth,
    authLimiter,
    extraCredential: checkDeviceToken,
    upgrade: (request, client) => {
      if (!registry.reserve(client)) return new Response("Too many connections", { status: 429 });
      const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 120 });
      registry.add(new Connection(webSocketTransport(socket), client, connectionDeps));
      return response;
    },
    context: (address, signal) => ({
      config: () => configStore.current,
      logger,
      bus,
      gateway: runtime,
      services,
      address,
      signal,
    }),
  });

  let closing: Promise<void> | undefined;
  const stopAll = () =>
    closing ??= (async () => {
      for (const stop of stops.reverse()) stop();
      registry.closeAll(CloseCode.goingAway, "gateway shutting down");
      await listeners?.shutdown(3_000);
      await lifecycle.stop(stopFailed);
    })();
  try {
    listeners = await openListeners({
      hostname,
      port: options.port ?? config.gateway.port,
      httpPort: options.httpPort ?? config.gateway.http.port,
      handler,
      logger,
    });
  } catch (error) {
    await stopAll();
    throw error;
  }
  const { port, httpPort } = listeners;
  const host = hostname.includes(":")
    ? `[${hostname}]`
    : hostname === "0.0.0.0"
    ? "127.0.0.1"
    : hostname;
  const gateway: Gateway = {
    url: `ws://${host}:${port}`,
    httpUrl: httpPort ? `http://${host}:${httpPort}` : undefined,
    port,
    httpPort,
    get auth() {
      return auth;
    },
    services,
    bus,
    runtime,
    close: stopAll,
  };
  logger.info("gateway listening", {
    url: gateway.url,
    httpUrl: gateway.httpUrl,
    bind: hostname,
    loopback: isLoopbackHost(hostname),
    auth: auth.mode,
  });
  return gateway;
}
