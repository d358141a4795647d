/**
 * @module The gateway server: one request handler on the WebSocket port and the HTTP port,
 * so auth, origin checks and limits apply alike; WebSocket clients become {@linkcode Connection}s.
 */

import type { ConfigStore } from "../core/config/store.ts";
import { EventBus } from "../core/event_bus.ts";
import { bindAddress, isLoopbackHost } from "../core/gateway_token.ts";
import type { Logger } from "../core/logger.ts";
import type { StatePaths } from "../core/paths.ts";
import { webSocketTransport } from "../core/protocol/transport.ts";
import { AuthFailureLimiter, type GatewayAuth, resolveGatewayAuth } from "./auth.ts";
import { watchGatewayAuth } from "./auth_reload.ts";
import { CloseCode, Connection } from "./connection.ts";
import type { ClientInfo, GatewayRuntime, RpcContext } from "./context.ts";
import { Dispatcher } from "./dispatcher.ts";
import { createRequestHandler } from "./http_handler.ts";
import { isOwnOrigin } from "./origin.ts";
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
  const bind = options.bind ?? config.gateway.bind;
  const hostname = bindAddress(bind);
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
  await lifecycle.start();
  const dispatcher = new Dispatcher(METHOD_TABLES, logger);
  const authLimiter = new AuthFailureLimiter(() =>
    configStore.current.gateway.limits.authFailuresPerMinute
  );
  const connections = new Map<string, Connection>();
  const perAddress = new Map<string, number>();
  const startedAt = Date.now();
  let port = 0;
  let httpPort: number | undefined;

  const runtime: GatewayRuntime = {
    startedAt,
    paths,
    bindHost: hostname,
    get port() {
      return port;
    },
    get httpPort() {
      return httpPort;
    },
    get auth() {
      return auth.mode === "token" ? { mode: auth.mode, source: auth.source } : { mode: auth.mode };
    },
    env,
    clients: (): ClientInfo[] =>
      [...connections.values()].filter((c) => c.authenticated).map((c) => c.info),
  };

  const unsubscribeBus = bus.subscribe((event) => {
    if (event.connId) {
      connections.get(event.connId)?.sendEvent(event.event, event.payload);
      return;
    }
    for (const connection of connections.values()) connection.sendEvent(event.event, event.payload);
  });

  const stopConfigErrors = configStore.onError((error) => {
    logger.error("config reload failed; keeping the last good config", { error: error.message });
    bus.publish({
      event: "config.error",
      payload: { message: error.message, issues: error.issues },
    });
  });
  const stopConfigChanges = configStore.subscribe((next, previous) => {
    logger.configure({
      level: next.logging.level,
      consoleLevel: next.logging.consoleLevel,
      maxFileBytes: next.logging.maxFileBytes,
      maxFiles: next.logging.maxFiles,
    });
    const changed = Object.keys(next).filter((key) =>
      JSON.stringify(next[key as keyof typeof next]) !==
        JSON.stringify(previous[key as keyof typeof previous])
    );
    logger.info("config reloaded", { changed });
    const g = next.gateway;
    if (g.port !== previous.gateway.port || g.bind !== previous.gateway.bind) {
      logger.warn("gateway.port / gateway.bind changed: restart the gateway to apply", {
        port: g.port,
        bind: g.bind,
      });
    }
    bus.publish({ event: "config.changed", payload: { changed } });
  });

  const stopAuthWatch = watchGatewayAuth({
    tokenFile: paths.tokenFile,
    configStore,
    resolve: resolveAuth,
    current: () => auth,
    apply: (next) => {
      auth = next;
      // What the old secret opened closes; paired devices keep their own tokens.
      for (const connection of connections.values()) {
        if (connection.credential === "gateway") {
          connection.close(CloseCode.policyViolation, "credentials rotated");
        }
      }
    },
    logger,
  });

  // A burst of connects must not become N² presence frames: changes are coalesced into one small
  // event a second; clients that want the entries call system.presence.
  let presenceTimer: ReturnType<typeof setTimeout> | undefined;
  const presenceChanged = () => {
    presenceTimer ??= setTimeout(() => {
      presenceTimer = undefined;
      bus.publish({ event: "presence", payload: { connections: runtime.clients().length } });
    }, 1_000);
  };

  // Paired devices' own tokens (see docs/pairing.md), accepted on connect and HTTP alike.
  const checkDeviceToken = (token: string) => services.devices.deviceOf(token);
  // A revoked device loses the connections it has open, not only its next connect.
  const stopRevokeWatch = services.devices.onRevoked((deviceId) => {
    for (const connection of connections.values()) {
      if (connection.deviceId === deviceId) {
        connection.close(CloseCode.policyViolation, "device revoked");
      }
    }
  });

  const connectionDeps = {
    dispatcher,
    auth: () => auth,
    extraCredential: checkDeviceToken,
    authLimiter,
    config: () => configStore.current,
    logger,
    context: (connection: Connection, signal: AbortSignal): RpcContext => ({
      connId: connection.id,
      client: connection.info,
      signal,
      notify: (event: string, payload: unknown) => connection.sendEvent(event, payload),
      config: () => configStore.current,
      configStore,
      logger,
      bus,
      gateway: runtime,
      services,
    }),
    onAuthenticated: (connection: Connection) => {
      logger.debug("client connected", {
        connId: connection.id,
        clientName: connection.clientName,
        address: connection.address,
      });
      presenceChanged();
    },
    onClose: (connection: Connection) => {
      if (connections.delete(connection.id) && connection.protocol) presenceChanged();
      const count = (perAddress.get(connection.address) ?? 1) - 1;
      if (count <= 0) perAddress.delete(connection.address);
      else perAddress.set(connection.address, count);
      if (connection.authenticated || connection.protocol) {
        logger.debug("client disconnected", { connId: connection.id });
      }
    },
  };

  const handler = createRequestHandler({
    config: () => configStore.current,
    logger,
    routes: HTTP_ROUTES,
    startedAt,
    isOwnOrigin: (origin, host) =>
      isOwnOrigin(origin, host, {
        allowed: configStore.current.gateway.auth.allowedOrigins,
        ports: [port, httpPort].filter((p): p is number => Boolean(p)),
      }),
    auth: () => auth,
    authLimiter,
    extraCredential: checkDeviceToken,
    upgrade: (request, { address, local }) => {
      const limit = configStore.current.gateway.limits.maxConnectionsPerAddress;
      const open = perAddress.get(address) ?? 0;
      if (!local && open >= limit) return new Response("Too many connections", { status: 429 });
      const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 120 });
      perAddress.set(address, open + 1);
      const connection = new Connection(
        webSocketTransport(socket),
        { address, local },
        connectionDeps,
      );
      connections.set(connection.id, connection);
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

  const onError = (error: unknown) => {
    logger.error("request failed", { error });
    return new Response("Internal server error", { status: 500 });
  };

  const requestedPort = options.port ?? config.gateway.port;
  let wsServer: Deno.HttpServer<Deno.NetAddr>;
  try {
    wsServer = Deno.serve({
      hostname,
      port: requestedPort,
      onListen: () => {},
      onError,
      handler: handler as Deno.ServeHandler,
    });
  } catch (error) {
    await lifecycle.stop();
    throw error;
  }
  port = wsServer.addr.port;

  let httpServer: Deno.HttpServer<Deno.NetAddr> | undefined;
  const configuredHttp = options.httpPort ?? config.gateway.http.port;
  // With an ephemeral WebSocket port (tests), the HTTP port is ephemeral too.
  const wantedHttp = configuredHttp === false
    ? undefined
    : configuredHttp ?? (requestedPort === 0 ? 0 : port + 1);
  if (wantedHttp !== undefined) {
    try {
      httpServer = Deno.serve({
        hostname,
        port: wantedHttp,
        onListen: () => {},
        onError,
        handler: handler as Deno.ServeHandler,
      });
      httpPort = httpServer.addr.port;
    } catch (error) {
      if (configuredHttp !== undefined) {
        await wsServer.shutdown();
        await lifecycle.stop();
        throw error;
      }
      logger.warn(
        `HTTP port ${wantedHttp} is unavailable; the HTTP API is served on port ${port} only`,
        {
          error: (error as Error).message,
        },
      );
    }
  }

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
    async close() {
      clearTimeout(presenceTimer);
      stopRevokeWatch();
      unsubscribeBus();
      stopAuthWatch();
      stopConfigErrors();
      stopConfigChanges();
      for (const connection of connections.values()) {
        connection.close(CloseCode.goingAway, "gateway shutting down");
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise((resolve) => (timer = setTimeout(resolve, 3_000)));
      await Promise.race([Promise.all([wsServer.shutdown(), httpServer?.shutdown()]), deadline]);
      clearTimeout(timer);
      await lifecycle.stop((name, error) =>
        logger.error("service did not stop cleanly", { service: name, error })
      );
    },
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
