/**
 * @module The one request handler both listeners share: WebSocket upgrades, `/health`, and the
 * declared HTTP routes behind origin checks, Bearer auth and the body limit.
 */

import type { Config } from "../core/config/schema.ts";
import { type GatewayError, isGatewayError } from "../core/errors.ts";
import type { Logger } from "../core/logger.ts";
import {
  type AuthFailureLimiter,
  type CredentialCheck,
  type GatewayAuth,
  verifyCredentials,
} from "./auth.ts";
import { withLimitedBody } from "./body_limit.ts";
import { type ClientAddress, ClientAddressResolver } from "./client_address.ts";
import {
  gatewayErrorResponse,
  type HttpContext,
  httpError,
  type HttpRoute,
  jsonResponse,
} from "./http_routes.ts";

/** What the handler needs from the gateway. */
export interface RequestHandlerDeps {
  config(): Config;
  logger: Logger;
  routes: readonly HttpRoute[];
  startedAt: number;
  isOwnOrigin(origin: string, host: string | null): boolean;
  auth(): GatewayAuth;
  authLimiter: AuthFailureLimiter;
  extraCredential: CredentialCheck;
  /** Accepts a WebSocket client (origin already checked); answers the upgrade or refuses it. */
  upgrade(request: Request, client: ClientAddress): Response;
  /** The context of one HTTP request. */
  context(address: string, signal: AbortSignal): HttpContext;
}

/** Builds the handler for `Deno.serve`. */
export function createRequestHandler(deps: RequestHandlerDeps) {
  const clients = new ClientAddressResolver();
  return async (request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Promise<Response> => {
    const gateway = deps.config().gateway;
    const client = clients.resolve(
      request,
      info.remoteAddr.hostname,
      gateway.trustedProxies,
      gateway.limits.exemptLoopback,
    );
    const address = client.address;
    const url = new URL(request.url);
    const origin = request.headers.get("origin");
    const foreign = origin !== null && !deps.isOwnOrigin(origin, request.headers.get("host"));
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      if (url.pathname !== "/" && url.pathname !== "/ws") {
        return new Response("Not found", { status: 404 });
      }
      if (foreign) {
        deps.logger.warn("refused a WebSocket from a foreign origin", { origin, address });
        return new Response("Origin not allowed", { status: 403 });
      }
      return deps.upgrade(request, client);
    }
    if (request.method === "GET" && url.pathname === "/health") {
      return jsonResponse({ status: "ok", uptime: Date.now() - deps.startedAt });
    }
    // A browser page from a foreign origin may not use the HTTP API (DNS rebinding, a hostile
    // page on the user's machine); CLI and SDK clients send no Origin.
    if (foreign) {
      return httpError("AUTH_REQUIRED", "Origin not allowed", { status: 403 });
    }
    let pathKnown = false;
    for (const route of deps.routes) {
      const match = typeof route.path === "string"
        ? (route.path === url.pathname ? ([url.pathname] as RegExpMatchArray) : null)
        : url.pathname.match(route.path);
      if (!match) continue;
      pathKnown = true;
      if (request.method !== route.method) continue;
      return await serveRoute(deps, route, match, request, client);
    }
    if (pathKnown) {
      return httpError(
        "METHOD_NOT_FOUND",
        `Method ${request.method} not allowed on ${url.pathname}`,
      );
    }
    return httpError("NOT_FOUND", `Not found: ${url.pathname}`);
  };
}

async function serveRoute(
  deps: RequestHandlerDeps,
  route: HttpRoute,
  match: RegExpMatchArray,
  request: Request,
  client: ClientAddress,
): Promise<Response> {
  const address = client.address;
  if (route.auth) {
    const denied = await authorizeHttp(deps, request, client);
    if (denied) return denied;
  }
  const maxBody = deps.config().gateway.limits.maxHttpBodyBytes;
  const length = request.headers.get("content-length");
  const tooLarge = () =>
    httpError("INVALID_PARAMS", `Request body too large (limit ${maxBody} bytes)`, { status: 413 });
  if (Number(length ?? 0) > maxBody) return tooLarge();
  const signal = request.signal;
  // A chunked body announces no length: read it here, bounded, before a route buffers it.
  if (length === null && request.body) {
    const bounded = await withLimitedBody(request, maxBody);
    if (!bounded) return tooLarge();
    request = bounded;
  }
  try {
    return await route.handle(request, deps.context(address, signal), match);
  } catch (error) {
    if (isGatewayError(error)) return gatewayErrorResponse(error);
    deps.logger.error("http handler failed", { path: new URL(request.url).pathname, error });
    return httpError("INTERNAL_ERROR", "Internal server error");
  }
}

/** Checks `Authorization: Bearer …` like `connect` checks its token; a Response when refused. */
async function authorizeHttp(
  deps: RequestHandlerDeps,
  request: Request,
  client: ClientAddress,
): Promise<Response | undefined> {
  const secret = request.headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  try {
    if (!client.local) deps.authLimiter.check(client.address);
  } catch (error) {
    return gatewayErrorResponse(error as GatewayError);
  }
  const auth = deps.auth();
  try {
    await verifyCredentials(
      auth,
      auth.mode === "password" ? { password: secret } : { token: secret },
      deps.extraCredential,
    );
    return undefined;
  } catch (error) {
    if (!client.local) deps.authLimiter.fail(client.address);
    return httpError("AUTH_REQUIRED", (error as Error).message, {
      headers: { "www-authenticate": "Bearer" },
    });
  }
}
