/**
 * @module An upstream's error answer mapped to a clear {@linkcode ProviderError}: its status and
 * the message in its body (OpenAI's and Anthropic's `{ error: { message } }`, or plain text)
 * decide the kind (auth, model not found, rate limit with its `retry-after`, bad request).
 */

import { ProviderError, type ProviderErrorKind } from "./types.ts";

/** Maps an error status and its body to a clear {@linkcode ProviderError}. */
export function statusError(
  provider: string,
  response: { status: number; headers: { get(name: string): string | null } },
  body: string,
  model?: string,
): ProviderError {
  const status = response.status;
  const detail = upstreamMessage(body);
  const suffix = detail ? `: ${detail}` : "";
  let kind: ProviderErrorKind = "upstream";
  let message = `Provider ${provider} answered HTTP ${status}${suffix}`;
  if (status === 401 || status === 403) {
    kind = "auth";
    message = `Provider ${provider} rejected the API key (HTTP ${status})${suffix}`;
  } else if (status === 404 || /model.*(not.?found|does not exist)/i.test(detail)) {
    kind = "model_not_found";
    message = `Provider ${provider} does not know model ${model ?? "?"}${suffix}`;
  } else if (status === 429) {
    kind = "rate_limit";
    const retryAfterMs = parseRetryAfter(response.headers);
    const wait = retryAfterMs !== undefined
      ? `; retry after ${Math.ceil(retryAfterMs / 1000)} s`
      : "";
    return new ProviderError(
      "rate_limit",
      provider,
      `Provider ${provider} is rate limiting requests${wait}${suffix}`,
      { status, retryAfterMs },
    );
  } else if (status >= 400 && status < 500) {
    kind = "bad_request";
  }
  return new ProviderError(kind, provider, message, { status });
}

/** `retry-after` (seconds or an HTTP date) or `retry-after-ms`, in ms. */
function parseRetryAfter(
  headers: { get(name: string): string | null },
): number | undefined {
  const ms = Number(headers.get("retry-after-ms"));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const value = headers.get("retry-after");
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function upstreamMessage(body: string): string {
  if (!body) return "";
  try {
    const parsed = JSON.parse(body);
    const message = parsed?.error?.message ?? parsed?.message ?? parsed?.error;
    if (typeof message === "string") return message.slice(0, 500);
  } catch { /* not JSON */ }
  return body.slice(0, 200).trim();
}
