/** @module The one error type of pyclaw, carrying the spec's error codes. */

/** The nine error codes of the protocol (spec section 7), and nothing else. */
export const ErrorCode = {
  AUTH_REQUIRED: "AUTH_REQUIRED",
  NOT_FOUND: "NOT_FOUND",
  INVALID_PARAMS: "INVALID_PARAMS",
  RATE_LIMITED: "RATE_LIMITED",
  INTERNAL_ERROR: "INTERNAL_ERROR",
  METHOD_NOT_FOUND: "METHOD_NOT_FOUND",
  ALREADY_EXISTS: "ALREADY_EXISTS",
  ABORTED: "ABORTED",
  NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
} as const;

export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

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

/** The error body of a `res` frame. */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * An error a client may see. Handlers throw it; the dispatcher turns it into an error frame.
 * Anything else thrown becomes `INTERNAL_ERROR` with no stack sent to the client.
 *
 * @example
 * ```ts
 * throw new GatewayError("NOT_FOUND", `Session not found: ${path}`);
 * ```
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  /** @param options.cause the error this one reports (kept for logs; never sent to clients) */
  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "GatewayError";
    this.code = code;
    this.details = details;
  }

  toShape(): ErrorShape {
    return this.details
      ? { code: this.code, message: this.message, details: this.details }
      : { code: this.code, message: this.message };
  }
}

const codes = new Set<string>(Object.values(ErrorCode));

/** True for anything shaped like a {@linkcode GatewayError}, even from another copy of this module. */
export function isGatewayError(error: unknown): error is GatewayError {
  return error instanceof GatewayError ||
    (typeof error === "object" && error !== null &&
      codes.has((error as { code?: unknown }).code as string) &&
      typeof (error as { message?: unknown }).message === "string");
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
