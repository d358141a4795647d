/** @module How HTTP routes are declared; `server/gateway.ts` serves them on both listeners. */

import type { Config } from "../core/config/schema.ts";
import {
  type ErrorCode,
  type GatewayError,
  HTTP_ERRORS,
  type HttpErrorBody,
} from "../core/errors.ts";
import type { EventBus } from "../core/event_bus.ts";
import type { Logger } from "../core/logger.ts";
import type { GatewayRuntime } from "./context.ts";
import type { GatewayServices } from "./services.ts";

/** What an HTTP handler gets. */
export interface HttpContext {
  config(): Config;
  logger: Logger;
  bus: EventBus;
  gateway: GatewayRuntime;
  services: GatewayServices;
  /** The client's address. */
  address: string;
  /**
   * Aborted when the client goes away: at once for a streamed answer, within a tick or two
   * (server/client_signal.ts) while a route works on any other.
   */
  signal: AbortSignal;
}

/** One route. `auth: true` requires `Authorization: Bearer <token>` (or the password). */
export interface HttpRoute {
  method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
  /** Exact path, or a pattern matched against the path. */
  path: string | RegExp;
  auth: boolean;
  handle(
    request: Request,
    ctx: HttpContext,
    match: RegExpMatchArray | null,
  ): Response | Promise<Response>;
}

/**
 * `application/json`, without a `charset` parameter: JSON is UTF-8 and the type defines no
 * parameters (RFC 8259). Deno sends a 200 whose only header is one of a few plain types (this one
 * among them) by a fast path; any other header set cost each `/v1` answer a header list, a
 * native response object and its finalizer (issue 17).
 */
const JSON_HEADERS = { "content-type": "application/json" };

/**
 * A JSON response. A plain 200 is made by `Response.json`, which takes the serialised text as
 * the body at once: the constructor converts its init (status, a header record of byte strings)
 * and wraps the text in a body object first, on every `/v1` answer (issue 17). Same bytes, same
 * header.
 */
export function jsonResponse(body: unknown, status = 200, headers?: HeadersInit): Response {
  if (status === 200 && headers === undefined && body !== undefined) return Response.json(body);
  return new Response(JSON.stringify(body), {
    status,
    headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS,
  });
}

/** Options for {@linkcode httpError}. */
export interface HttpErrorOptions {
  /** Only where no code carries the fact (403 origin, 413 body). @default HTTP_ERRORS[code] */
  status?: number;
  /** The request field at fault. @default null */
  param?: string | null;
  headers?: HeadersInit;
}

/**
 * An error response in the one shape every route answers with (OpenAI's, which its SDKs
 * understand), its status and type from {@linkcode HTTP_ERRORS}.
 */
export function httpError(
  code: ErrorCode,
  message: string,
  options: HttpErrorOptions = {},
): Response {
  const { status, type } = HTTP_ERRORS[code];
  const body: HttpErrorBody = { error: { message, type, code, param: options.param ?? null } };
  return jsonResponse(body, options.status ?? status, options.headers);
}

/** The response for a {@linkcode GatewayError} a route threw: its code, `param`, `retry-after`. */
export function gatewayErrorResponse(error: GatewayError): Response {
  const param = error.details?.param;
  const retryAfterMs = Number(error.details?.retryAfterMs);
  return httpError(error.code, error.message, {
    param: typeof param === "string" ? param : null,
    headers: retryAfterMs > 0 ? { "retry-after": String(Math.ceil(retryAfterMs / 1000)) } : {},
  });
}
