/** @module How provider failures read to clients: the protocol's error codes and HTTP statuses. */

import { ErrorCode, errorMessage, isAbortError, isGatewayError } from "../../core/errors.ts";
import { isProviderError, type ProviderErrorKind } from "./types.ts";

const CODES: Record<ProviderErrorKind, ErrorCode> = {
  // The gateway's own provider key is wrong: an auth failure, named as the provider's.
  auth: ErrorCode.AUTH_REQUIRED,
  model_not_found: ErrorCode.NOT_FOUND,
  rate_limit: ErrorCode.RATE_LIMITED,
  unreachable: ErrorCode.INTERNAL_ERROR,
  timeout: ErrorCode.INTERNAL_ERROR,
  aborted: ErrorCode.ABORTED,
  bad_request: ErrorCode.INVALID_PARAMS,
  upstream: ErrorCode.INTERNAL_ERROR,
};

/** The error body a client sees for any failure of a run. */
export function gatewayCodeOf(
  error: unknown,
): { code: ErrorCode; message: string; retryAfterMs?: number } {
  if (isProviderError(error)) {
    return {
      code: CODES[error.kind] ?? ErrorCode.INTERNAL_ERROR,
      message: error.message,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    };
  }
  if (isGatewayError(error)) {
    const retryAfterMs = error.details?.retryAfterMs;
    return {
      code: error.code,
      message: error.message,
      ...(typeof retryAfterMs === "number" ? { retryAfterMs } : {}),
    };
  }
  if (isAbortError(error)) return { code: ErrorCode.ABORTED, message: "The run was aborted" };
  return { code: ErrorCode.INTERNAL_ERROR, message: errorMessage(error) };
}

/**
 * The HTTP status of a provider's failure where it is not its code's (core/errors.ts
 * `HTTP_ERRORS`): the gateway worked, the upstream did not (502 Bad Gateway, 504 Gateway Timeout).
 * The body's code stays {@linkcode gatewayCodeOf}'s.
 */
const UPSTREAM_STATUS: Partial<Record<ProviderErrorKind, number>> = {
  // The gateway's own key for the provider was refused: not the client's credentials (401).
  auth: 502,
  unreachable: 502,
  upstream: 502,
  timeout: 504,
};

/** The HTTP status that overrides the code's for `error`, or undefined to use the code's. */
export function upstreamStatusOf(error: unknown): number | undefined {
  return isProviderError(error) ? UPSTREAM_STATUS[error.kind] : undefined;
}
