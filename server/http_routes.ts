/** @module How HTTP routes are declared; `server/gateway.ts` serves them on both listeners. */

import type { Config } from "../core/config/schema.ts";
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
  /** Aborted when the client goes away. */
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

/** A JSON response. */
export function jsonResponse(body: unknown, status = 200, headers: HeadersInit = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** An error in the OpenAI API's shape, which its SDKs understand. */
export function openAiError(
  status: number,
  message: string,
  type = "invalid_request_error",
  code: string | null = null,
  headers: HeadersInit = {},
): Response {
  return jsonResponse({ error: { message, type, code, param: null } }, status, headers);
}
