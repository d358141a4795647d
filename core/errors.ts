/**
 * @module The one error type of pyclaw and the one table of how its codes read over HTTP. The
 * class and the codes live with the wire contract in `core/protocol/errors.ts` (the Control UI
 * may import nothing else of `core/`); server-side code imports them from here.
 */

import { ErrorCode, isGatewayError } from "./protocol/errors.ts";

export { ErrorCode, type ErrorShape, GatewayError, isGatewayError } from "./protocol/errors.ts";

/**
 * The one table of how each code reads over HTTP: its status and OpenAI's error `type` (which the
 * OpenAI SDKs turn into their exception classes). The body's `code` is the protocol code itself,
 * so a client sees the same vocabulary over WebSocket and HTTP. Only facts that no code carries
 * set their own status: a foreign Origin (403), a body over the limit (413), and an upstream
 * provider's failure (502, 504; see agent/providers/errors.ts).
 */
export const HTTP_ERRORS: Readonly<Record<ErrorCode, { status: number; type: string }>> = {
  AUTH_REQUIRED: { status: 401, type: "authentication_error" },
  NOT_FOUND: { status: 404, type: "invalid_request_error" },
  INVALID_PARAMS: { status: 400, type: "invalid_request_error" },
  RATE_LIMITED: { status: 429, type: "rate_limit_error" },
  INTERNAL_ERROR: { status: 500, type: "server_error" },
  // Over HTTP the "method" is the HTTP verb: a known path asked with the wrong one.
  METHOD_NOT_FOUND: { status: 405, type: "invalid_request_error" },
  ALREADY_EXISTS: { status: 409, type: "invalid_request_error" },
  // nginx's "client closed request": nobody is left to read it, but logs and tests see it.
  ABORTED: { status: 499, type: "invalid_request_error" },
  NOT_IMPLEMENTED: { status: 501, type: "server_error" },
};

/** The one HTTP error body, on every status: `{ error: { message, type, code, param } }`. */
export interface HttpErrorBody {
  error: { message: string; type: string; code: ErrorCode; param: string | null };
}

/** True when `error` is the result of an aborted signal (ours or the platform's). */
export function isAbortError(error: unknown): boolean {
  return (error instanceof DOMException && error.name === "AbortError") ||
    (isGatewayError(error) && error.code === ErrorCode.ABORTED) ||
    (error instanceof Error && error.name === "AbortError");
}

/** A short, user-facing description of any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
