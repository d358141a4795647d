/** @module Request bodies in and errors out, in the shapes OpenAI's SDKs understand. */

import type { z } from "zod";
import {
  configSecrets,
  gatewayCodeOf,
  redactText,
  upstreamStatusOf,
} from "../../agent/providers/errors.ts";
import { isProviderError } from "../../agent/providers/types.ts";
import { HTTP_ERRORS, type HttpErrorBody, isGatewayError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { jsonResponse } from "../http_routes.ts";
import { RequestError } from "./_chat_request.ts";

/**
 * Reads and validates a JSON body.
 *
 * @param plain a cheaper check that returns the body where `schema` would accept it unchanged,
 * and undefined where `schema` must look (and word any error)
 * @throws {RequestError} for a body that is not JSON or fails `schema`
 */
export async function readJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  plain?: (raw: unknown) => z.output<S> | undefined,
): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await request.json();
  } catch {
    throw new RequestError("The request body is not valid JSON");
  }
  const simple = plain?.(raw);
  if (simple !== undefined) return simple;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue.path.map(String).join(".") || null;
    throw new RequestError(
      `Invalid request: ${param ? `${param}: ` : ""}${issue.message}`,
      param,
    );
  }
  return parsed.data;
}

/**
 * The one HTTP error body (core/errors.ts `HTTP_ERRORS`) of any failure, with its status.
 *
 * @param config the gateway's config, whose secrets are blanked out of a provider's message (with
 * anything shaped like a key): it says what its upstream echoed
 */
export function errorBody(error: unknown, config?: object): {
  status: number;
  body: HttpErrorBody;
  retryAfterMs?: number;
} {
  if (error instanceof RequestError) {
    const { status, type } = HTTP_ERRORS.INVALID_PARAMS;
    return {
      status,
      body: {
        error: { message: error.message, type, code: "INVALID_PARAMS", param: error.param },
      },
    };
  }
  const { code, message, retryAfterMs } = gatewayCodeOf(error);
  const { status: codeStatus, type } = HTTP_ERRORS[code];
  // A route runs only for a client that passed the gateway's auth: AUTH_REQUIRED from inside it
  // (through an agent's run) is a provider refusing the gateway's key.
  // An agent's run reports its provider's failure as an event: the status comes with it.
  const reported = isGatewayError(error) ? error.details?.upstreamStatus : undefined;
  const upstream = upstreamStatusOf(error) ??
    (typeof reported === "number" ? reported : undefined);
  const status = upstream ?? (code === "AUTH_REQUIRED" ? 502 : codeStatus);
  // The gateway's own failures are logged, never described; a provider's are the client's to read,
  // without what its upstream echoed (an agent's run redacted its own: agent/run.ts). The
  // gateway's own words (an unknown model's id) are passed as they are.
  const provider = isProviderError(error);
  const text = code === "INTERNAL_ERROR" && !provider && upstream === undefined
    ? "Internal server error"
    : provider
    ? redactText(message, config ? configSecrets(config) : undefined)
    : message;
  return {
    status,
    body: { error: { message: text, type, code, param: code === "NOT_FOUND" ? "model" : null } },
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/** An error response for any failure; unexpected ones are logged, never sent. */
export function errorResponse(
  error: unknown,
  ctx: { logger: Logger; config(): object },
): Response {
  const { status, body, retryAfterMs } = errorBody(error, ctx.config());
  if (status === 500) ctx.logger.error("openai api failed", { error });
  const headers: Record<string, string> = retryAfterMs !== undefined
    ? { "retry-after": String(Math.ceil(retryAfterMs / 1000)) }
    : {};
  return jsonResponse(body, status, headers);
}
