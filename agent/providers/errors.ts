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
  if (isGatewayError(error)) return { code: error.code, message: error.message };
  if (isAbortError(error)) return { code: ErrorCode.ABORTED, message: "The run was aborted" };
  return { code: ErrorCode.INTERNAL_ERROR, message: errorMessage(error) };
}

/** The HTTP status and OpenAI error type for a failure of an upstream call. */
export function httpStatusOf(error: unknown): { status: number; type: string; code: string } {
  if (isProviderError(error)) {
    switch (error.kind) {
      case "auth":
        return { status: 502, type: "upstream_error", code: "upstream_auth_failed" };
      case "model_not_found":
        return { status: 404, type: "invalid_request_error", code: "model_not_found" };
      case "rate_limit":
        return { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" };
      case "timeout":
        return { status: 504, type: "upstream_error", code: "upstream_timeout" };
      case "aborted":
        return { status: 499, type: "invalid_request_error", code: "aborted" };
      case "bad_request":
        return { status: 400, type: "invalid_request_error", code: "upstream_bad_request" };
      default:
        return { status: 502, type: "upstream_error", code: "upstream_unavailable" };
    }
  }
  if (isGatewayError(error)) {
    if (error.code === ErrorCode.NOT_FOUND) {
      return { status: 404, type: "invalid_request_error", code: "model_not_found" };
    }
    if (error.code === ErrorCode.INVALID_PARAMS) {
      return { status: 400, type: "invalid_request_error", code: "invalid_request" };
    }
    if (error.code === ErrorCode.RATE_LIMITED) {
      return { status: 429, type: "rate_limit_error", code: "rate_limit_exceeded" };
    }
    // Reaching a handler means the client passed the gateway's auth: this is the provider's key.
    if (error.code === ErrorCode.AUTH_REQUIRED) {
      return { status: 502, type: "upstream_error", code: "upstream_auth_failed" };
    }
    if (error.code === ErrorCode.ABORTED) {
      return { status: 499, type: "invalid_request_error", code: "aborted" };
    }
  }
  return { status: 500, type: "server_error", code: "internal_error" };
}
