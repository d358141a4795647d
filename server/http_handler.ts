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
  isGatewaySecret,
  verifyCredentials,
} from "./auth.ts";
import { type BodyRefusal, type LimitedBodyOptions, withLimitedBody } from "./body_limit.ts";
import { type ClientAddress, ClientAddressResolver } from "./client_address.ts";
import { type ClientWatch, watchClient } from "./client_signal.ts";
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

/**
 * Builds the handler for `Deno.serve`. A request with the gateway's own secret reaches its route
 * in the turn `Deno.serve` called in, and the route's answer goes back with one promise around it
 * (for its errors): no `async` layer or `await` of this module's own on the way (issue 17,
 * `/v1` added time; tests/server/openai/proxy_path_test.ts counts them).
 */
export function createRequestHandler(deps: RequestHandlerDeps) {
  const clients = new ClientAddressResolver();
  return (
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ): Response | Promise<Response> => {
    const gateway = deps.config().gateway;
    const client = clients.resolve(
      request,
      info.remoteAddr.hostname,
      gateway.trustedProxies,
      gateway.limits.exemptLoopback,
    );
    const address = client.address;
    const pathname = requestPath(request.url);
    const origin = request.headers.get("origin");
    const foreign = origin !== null && !deps.isOwnOrigin(origin, request.headers.get("host"));
    // A WebSocket handshake is a GET (RFC 6455): other methods are not asked for the header.
    if (
      request.method === "GET" && request.headers.get("upgrade")?.toLowerCase() === "websocket"
    ) {
      if (pathname !== "/" && pathname !== "/ws") {
        return new Response("Not found", { status: 404 });
      }
      if (foreign) {
        deps.logger.warn("refused a WebSocket from a foreign origin", { origin, address });
        return new Response("Origin not allowed", { status: 403 });
      }
      return deps.upgrade(request, client);
    }
    if (request.method === "GET" && pathname === "/health") {
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
        ? (route.path === pathname ? ([pathname] as RegExpMatchArray) : null)
        : pathname.match(route.path);
      if (!match) continue;
      pathKnown = true;
      if (request.method !== route.method) continue;
      return serveRoute(deps, route, match, request, client);
    }
    if (pathKnown) {
      return httpError(
        "METHOD_NOT_FOUND",
        `Method ${request.method} not allowed on ${pathname}`,
      );
    }
    return httpError("NOT_FOUND", `Not found: ${pathname}`);
  };
}

function serveRoute(
  deps: RequestHandlerDeps,
  route: HttpRoute,
  match: RegExpMatchArray,
  request: Request,
  client: ClientAddress,
): Response | Promise<Response> {
  if (route.auth) {
    const denied = authorizeHttp(deps, request, client);
    if (denied instanceof Promise) {
      return denied.then((refused) =>
        refused ?? serveAuthorized(deps, route, match, request, client)
      );
    }
    if (denied) return denied;
    return serveAuthorized(deps, route, match, request, client);
  }
  return servePublic(deps, route, match, request, client);
}

function serveAuthorized(
  deps: RequestHandlerDeps,
  route: HttpRoute,
  match: RegExpMatchArray,
  request: Request,
  client: ClientAddress,
): Response | Promise<Response> {
  const maxBody = deps.config().gateway.limits.maxHttpBodyBytes;
  const length = request.headers.get("content-length");
  if (Number(length ?? 0) > maxBody) {
    return refuseBody(deps, "tooLarge", maxBody, request, client.address);
  }
  const watch = watchClient(request);
  // A chunked body announces no length: read it here, bounded, before a route buffers it.
  if (length === null && request.body) {
    return serveBoundedBody(deps, route, match, request, client, watch, maxBody);
  }
  return handleRoute(deps, route, match, request, client.address, watch);
}

/**
 * The most body a route reachable without credentials (`auth: false`) reads: pairing's
 * `POST /v1/devices/complete` takes a code and a word, the others (pages, file downloads) no body.
 * Anyone who can reach the port may send one, so what it can make the gateway hold before any
 * credential is checked stays small (less where `maxHttpBodyBytes` is less).
 */
export const PUBLIC_MAX_BODY_BYTES = 4096;

/**
 * A route reachable without credentials: its body, whatever it announces, is read here before
 * the route sees it, at most {@linkcode PUBLIC_MAX_BODY_BYTES} and within the `connect` deadline
 * (`gateway.limits.connectTimeoutMs`, the time an unauthenticated WebSocket client has too).
 * A refused body is answered at once and its request let go of; Deno's HTTP server reads and
 * drops the rest of it, or keeps the connection until the client leaves (docs/protocol.md).
 */
function servePublic(
  deps: RequestHandlerDeps,
  route: HttpRoute,
  match: RegExpMatchArray,
  request: Request,
  client: ClientAddress,
): Response | Promise<Response> {
  const limits = deps.config().gateway.limits;
  const maxBody = Math.min(PUBLIC_MAX_BODY_BYTES, limits.maxHttpBodyBytes);
  if (Number(request.headers.get("content-length") ?? 0) > maxBody) {
    return refuseBody(deps, "tooLarge", maxBody, request, client.address);
  }
  const watch = watchClient(request);
  if (!request.body) return handleRoute(deps, route, match, request, client.address, watch);
  return serveBoundedBody(deps, route, match, request, client, watch, maxBody, {
    deadlineMs: limits.connectTimeoutMs,
  });
}

/** Reads the body within `maxBody` (and `options`), then serves the route, or refuses it. */
function serveBoundedBody(
  deps: RequestHandlerDeps,
  route: HttpRoute,
  match: RegExpMatchArray,
  request: Request,
  client: ClientAddress,
  watch: ClientWatch,
  maxBody: number,
  options?: LimitedBodyOptions,
): Promise<Response> {
  return withLimitedBody(request, maxBody, options).then((bounded) => {
    if (typeof bounded !== "string") {
      return handleRoute(deps, route, match, bounded, client.address, watch);
    }
    watch.forget();
    return refuseBody(deps, bounded, maxBody, request, client.address);
  }, (error) => {
    watch.forget();
    throw error;
  });
}

/** The answer to a body {@linkcode withLimitedBody} did not take. */
function refuseBody(
  deps: RequestHandlerDeps,
  refusal: BodyRefusal,
  maxBody: number,
  request: Request,
  address: string,
): Response {
  switch (refusal) {
    case "tooLarge":
      return httpError("INVALID_PARAMS", `Request body too large (limit ${maxBody} bytes)`, {
        status: 413,
      });
    case "tooSlow":
      return httpError(
        "INVALID_PARAMS",
        `Request body not received within ${deps.config().gateway.limits.connectTimeoutMs} ms`,
        { status: 408 },
      );
    case "broken":
      // The client left mid-body (or broke its chunked encoding): no fault of the gateway's,
      // and nobody reads the answer.
      deps.logger.debug("request body broken off", {
        path: requestPath(request.url),
        address,
      });
      return httpError("INVALID_PARAMS", "Request body could not be read", { status: 400 });
  }
}

function handleRoute(
  deps: RequestHandlerDeps,
  route: HttpRoute,
  match: RegExpMatchArray,
  request: Request,
  address: string,
  watch: ClientWatch,
): Response | Promise<Response> {
  const failed = (error: unknown): Response => {
    watch.forget();
    if (isGatewayError(error)) return gatewayErrorResponse(error);
    deps.logger.error("http handler failed", { path: new URL(request.url).pathname, error });
    return httpError("INTERNAL_ERROR", "Internal server error");
  };
  try {
    const answer = route.handle(request, deps.context(address, watch.signal), match);
    return answer instanceof Promise ? answer.then(watch.answered, failed) : watch.answered(answer);
  } catch (error) {
    return failed(error);
  }
}

/**
 * Checks `Authorization: Bearer ...` like `connect` checks its token; a Response when refused. The
 * gateway's own secret is answered at once; a paired device's token may need a look-up.
 */
function authorizeHttp(
  deps: RequestHandlerDeps,
  request: Request,
  client: ClientAddress,
): Response | undefined | Promise<Response | undefined> {
  const secret = request.headers.get("authorization")?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  try {
    // An address with no failure on record passes without the look at its headers `local` takes.
    if (deps.authLimiter.hasFailed(client.address) && !client.local) {
      deps.authLimiter.check(client.address);
    }
  } catch (error) {
    return gatewayErrorResponse(error as GatewayError);
  }
  const auth = deps.auth();
  if (isGatewaySecret(auth, secret)) return undefined;
  return verifyDevice(deps, auth, secret, client);
}

async function verifyDevice(
  deps: RequestHandlerDeps,
  auth: GatewayAuth,
  secret: string | undefined,
  client: ClientAddress,
): Promise<Response | undefined> {
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

// The path of a request's URL without parsing the whole URL: `new URL(request.url)` cost every
// request a call into Deno's URL parser and an object, for a path that is nearly always plain
// already (issue 17, `/v1` added time). A path of another form goes through the parser.

/** A path the URL parser returns unchanged: no dot segments, escapes, backslashes or odd bytes. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*|\/)+$/;

/**
 * The `pathname` of a request URL as `new URL(url).pathname` gives it.
 *
 * @param url a request's URL as Deno gives it: `scheme://host[:port]/path[?query]`
 */
export function requestPath(url: string): string {
  const scheme = url.indexOf("://");
  const start = scheme < 0 ? -1 : url.indexOf("/", scheme + 3);
  if (start >= 0) {
    let end = url.indexOf("?", start);
    const hash = url.indexOf("#", start);
    if (hash >= 0 && (end < 0 || hash < end)) end = hash;
    const path = end < 0 ? url.slice(start) : url.slice(start, end);
    if (PLAIN_PATH.test(path)) return path;
  }
  return new URL(url).pathname;
}
