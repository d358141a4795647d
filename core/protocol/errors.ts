/**
 * @module The protocol's one error: the spec's error codes, the error body of a `res` frame, and
 * {@linkcode GatewayError}, which the server's handlers throw and every client (the CLI, the
 * Control UI, the tests) rejects with when the gateway answers an error.
 */

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

/** The error body of a `res` frame. */
export interface ErrorShape {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/**
 * An error a client may see. Handlers throw it; the dispatcher turns it into an error frame, and
 * the client turns an error frame back into it. Anything else thrown becomes `INTERNAL_ERROR`
 * with no stack sent to the client.
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

  /** Rebuilds the error a gateway answered with (a client's view of an error frame). */
  static fromShape(shape: ErrorShape): GatewayError {
    return new GatewayError(shape.code, shape.message, shape.details);
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
