/** @module Request bodies in and errors out, in the shapes OpenAI's SDKs understand. */

import type { z } from "zod";
import { httpStatusOf } from "../../agent/providers/errors.ts";
import { isProviderError } from "../../agent/providers/types.ts";
import { errorMessage, isGatewayError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { jsonResponse } from "../http_routes.ts";
import { RequestError } from "./_chat_request.ts";

/**
 * Reads and validates a JSON body.
 *
 * @throws {RequestError} for a body that is not JSON or fails `schema`
 */
export async function readJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
): Promise<z.output<S>> {
  let raw: unknown;
  try {
    raw = await request.json();
  } catch {
    throw new RequestError("The request body is not valid JSON");
  }
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

/** The OpenAI error body of any failure, for a stream's error event or a response. */
export function errorBody(error: unknown): {
  status: number;
  body: { error: { message: string; type: string; code: string | null; param: string | null } };
  retryAfterMs?: number;
} {
  if (error instanceof RequestError) {
    return {
      status: 400,
      body: {
        error: {
          message: error.message,
          type: "invalid_request_error",
          code: "invalid_request",
          param: error.param,
        },
      },
    };
  }
  const { status, type, code } = httpStatusOf(error);
  const retryAfterMs = isProviderError(error)
    ? error.retryAfterMs
    : isGatewayError(error)
    ? error.details?.retryAfterMs as number | undefined
    : undefined;
  const message = status === 500 ? "Internal server error" : errorMessage(error);
  return {
    status,
    body: { error: { message, type, code, param: status === 404 ? "model" : null } },
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/** An error response for any failure; unexpected ones are logged, never sent. */
export function errorResponse(error: unknown, logger: Logger): Response {
  const { status, body, retryAfterMs } = errorBody(error);
  if (status === 500) logger.error("openai api failed", { error: errorMessage(error) });
  const headers: Record<string, string> = retryAfterMs !== undefined
    ? { "retry-after": String(Math.ceil(retryAfterMs / 1000)) }
    : {};
  return jsonResponse(body, status, headers);
}
