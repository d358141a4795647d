/**
 * @module The gateway: its core (services, dispatcher, connection registry; `gateway_core.ts`)
 * behind the listeners, one request handler for the WebSocket and HTTP ports, so auth, origin
 * checks and limits apply alike; WebSocket clients become connections of the core.
 */

import type { ConfigStore } from "../core/config/store.ts";
import type { EventBus } from "../core/event_bus.ts";
import { bindAddress, isLoopbackHost } from "../core/gateway_token.ts";
import type { Logger } from "../core/logger.ts";
import type { StatePaths } from "../core/paths.ts";
import { webSocketTransport } from "../core/protocol/transport.ts";
import type { GatewayAuth } from "./auth.ts";
import type { GatewayRuntime } from "./context.ts";
import { startGatewayCore } from "./gateway_core.ts";
import { loadProxyAddr } from "./client_address.ts";
import { createRequestHandler } from "./http_handler.ts";
import { isOwnOrigin } from "./origin.ts";
import { type Listeners, openListeners } from "./listeners.ts";
import type { GatewayServices } from "./services.ts";
import { HTTP_ROUTES } from "./http_route_list.ts";
import { httpError } from "./http_routes.ts";
import type { Front } from "./front.ts";

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
  /**
   * Listeners already open (`gateway run`, see front.ts): the gateway serves on them instead of
   * opening its own, and takes their start as its own.
   */
  front?: Front;
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
  /**
   * Frames its WebSocket clients have sent: with the requests its listeners took, the flow the
   * collections at quiet moments wait for a pause in (cli/gateway_serve.ts, core/idle_gc.ts).
   */
  readonly framesReceived: number;
  /** Stops listening, closes every client and service. Resolves within a few seconds. */
  close(): Promise<void>;
}

/**
 * Starts the gateway.
 *
 * @throws {Error} when the bind/auth combination is unsafe or the port is taken
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { configStore, logger } = options;
  // `config.set` / `config.patch` judge an edit with this gateway's own flags (a LAN bind is
  // fine on a gateway started with --auth-token).
  configStore.useStartOverrides({ bind: options.bind, authToken: options.authToken !== undefined });
  const config = configStore.current;
  const hostname = bindAddress(options.bind ?? config.gateway.bind);
  const { front } = options;
  let listeners: Listeners | undefined = front?.listeners;
  let core;
  try {
    core = await startGatewayCore({
      ...options,
      bindHost: hostname,
      startedAt: front?.startedAt,
      ports: () => ({ port: listeners?.port ?? 0, httpPort: listeners?.httpPort }),
    });
  } catch (error) {
    front?.fail();
    await front?.listeners.shutdown(1_000);
    throw error;
  }
  const { services, bus, runtime } = core;
  if (configStore.current.gateway.trustedProxies.length) await loadProxyAddr();
  const currentConfig = () => configStore.current;
  const handler = createRequestHandler({
    config: currentConfig,
    logger,
    routes: HTTP_ROUTES,
    startedAt: runtime.startedAt,
    isOwnOrigin: (origin, host) =>
      isOwnOrigin(origin, host, {
        allowed: configStore.current.gateway.auth.allowedOrigins,
        ports: [runtime.port, runtime.httpPort].filter((p): p is number => Boolean(p)),
      }),
    auth: () => core.auth,
    authLimiter: core.authLimiter,
    extraCredential: core.checkDeviceToken,
    upgrade: (request, client) => {
      if (!core.registry.reserve(client)) {
        return new Response("Too many connections", { status: 429 });
      }
      let upgraded;
      try {
        upgraded = Deno.upgradeWebSocket(request, { idleTimeout: 120 });
      } catch (error) {
        // A malformed handshake (no `Connection: Upgrade`, no key): it never becomes a
        // connection, so its slot goes back, or such requests would lock the address out until
        // a restart.
        core.registry.release(client);
        return httpError(
          "INVALID_PARAMS",
          `Invalid WebSocket handshake: ${(error as Error).message}`,
          { status: 400 },
        );
      }
      core.attach(webSocketTransport(upgraded.socket), client, true);
      return upgraded.response;
    },
    // One object a request, its function shared: a closure per request was garbage too.
    context: (address, signal) => ({
      config: currentConfig,
      logger,
      bus,
      gateway: runtime,
      services,
      address,
      signal,
    }),
  });

  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      // Clients go first, then requests in flight finish, then the services stop under nothing.
      core.disconnect();
      await listeners?.shutdown(3_000);
      await core.close();
    })();
  if (front) {
    listeners = front.listeners;
    front.serve(handler);
  } else {
    try {
      listeners = await openListeners({
        hostname,
        port: options.port ?? config.gateway.port,
        httpPort: options.httpPort ?? config.gateway.http.port,
        handler,
        logger,
      });
    } catch (error) {
      await close();
      throw error;
    }
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
      return core.auth;
    },
    services,
    bus,
    runtime,
    get framesReceived() {
      return core.framesReceived;
    },
    close,
  };
  logger.info("gateway listening", {
    url: gateway.url,
    httpUrl: gateway.httpUrl,
    bind: hostname,
    loopback: isLoopbackHost(hostname),
    auth: core.auth.mode,
  });
  return gateway;
}
