/** @module How provider failures read to clients: the protocol's error codes and HTTP statuses. */

import { SECRET_KEY } from "../../core/config/secrets.ts";
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

/** What a secret in a provider's message is replaced with. */
const REDACTED_TEXT = "[REDACTED]";

/**
 * Keys' usual shapes, each where a word starts (after a space, `:`, `/`, `.` or `=`, not inside
 * another word): OpenAI/Anthropic/OpenRouter/DeepSeek `sk-...` and Groq `gsk_...` with 16 and
 * more characters behind the prefix, Google `AIza...`, GitHub `ghp_...` and Hugging Face
 * `hf_...` with 20 and more (letters and digits only for the last two: not `hf_transfer_...`),
 * Slack `xoxb-...`. A model's id after its provider's
 * slash (`deepseek/sk-coder-v2-instruct-0724`) is not taken for an `sk-` key (see
 * {@linkcode redactText}). Keys the gateway took from its environment (`OPENAI_API_KEY`) are
 * found this way only.
 */
const KEY_SHAPES =
  /(?<![\w-])(?:(?:sk-|gsk_)[A-Za-z0-9_-]{16,}|AIza[A-Za-z0-9_-]{20,}|(?:gh[pousr]_|hf_)[A-Za-z0-9]{20,}|xox[bp]-[A-Za-z0-9-]{16,})/g;
/** A bearer credential: the scheme as HTTP clients write it, then a token's 16+ characters. */
const BEARER_CREDENTIAL = /\bBearer ([A-Za-z0-9._~+/=-]{16,})/g;
/** A basic credential: the scheme, then base64 of 16+ characters mixing letters and digits. */
const BASIC_CREDENTIAL = /\bBasic ([A-Za-z0-9+/]{16,}={0,2})(?![\w-])/g;
/**
 * `name=value` pairs (query strings, form bodies); only a value that looks random (16+ characters,
 * letters and digits) is taken for a secret, not `token=151643`.
 */
const NAMED_CREDENTIAL =
  /\b((?:api[_-]?)?key|access[_-]?token|token|secret|password)=([^\s&"',;]{16,})/gi;

/** Config values shorter than this are not looked for: they would blank out common words. */
const MIN_SECRET_LENGTH = 8;
/**
 * Names of `env` and `headers` entries that hold secrets: `Authorization`, `Helicone-Auth`,
 * `X-Api-Key`, `GITHUB_TOKEN`, `GITHUB_PAT`, `DB_PASS`.
 */
const SECRET_ENTRY =
  /authorization|token|secret|password|passwd|cookie|credential|apikey|(?:^|[_-])(?:auth|pass|pat|(?:api[_-]?)?key)(?:$|[_-])/i;

/** The secrets of each config object (a reload swaps the object), longest first. */
const secretsOf = new WeakMap<object, readonly string[]>();

/**
 * The secret values of the gateway's config: every string under a secret-named key
 * (core/config/secrets.ts `SECRET_KEY`: provider `apiKey`s, tokens, passwords) and the values of
 * `env` and `headers` entries with secret-like names (not `Content-Type` or `NODE_ENV`), with a
 * credential's part after its scheme too; values shorter than 8 characters are left out.
 * Worked out once per config object.
 */
export function configSecrets(config: object): readonly string[] {
  let secrets = secretsOf.get(config);
  if (secrets) return secrets;
  const found = new Set<string>();
  const walk = (value: unknown, key: string, inMap: boolean) => {
    if (typeof value === "string") {
      if (inMap ? SECRET_ENTRY.test(key) : SECRET_KEY.test(key)) {
        found.add(value);
        const credential = value.match(/^(?:Bearer|Basic)\s+(.+)$/i)?.[1];
        if (credential) found.add(credential);
      }
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, key, false);
    } else if (value && typeof value === "object") {
      const map = key === "env" || key === "headers";
      for (const [name, item] of Object.entries(value)) walk(item, name, map);
    }
  };
  walk(config, "", false);
  secrets = [...found].filter((secret) => secret.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length);
  secretsOf.set(config, secrets);
  return secrets;
}

/**
 * `text` with secrets replaced by {@linkcode REDACTED_TEXT}: each of `known` (the config's,
 * {@linkcode configSecrets}) and anything shaped like an API key or credential. For what a
 * provider's failure says before it leaves the gateway: upstreams echo what they were sent
 * (`Invalid key=sk-live-...`), and their words reach HTTP and WebSocket clients.
 */
export function redactText(text: string, known: readonly string[] = []): string {
  for (const secret of known) {
    if (text.includes(secret)) text = text.replaceAll(secret, REDACTED_TEXT);
  }
  return text.replace(
    KEY_SHAPES,
    // After a slash, `sk-...` is a model's id under its provider's name, not a key.
    (key, at: number) => key.startsWith("sk-") && text[at - 1] === "/" ? key : REDACTED_TEXT,
  )
    .replace(BEARER_CREDENTIAL, `Bearer ${REDACTED_TEXT}`)
    .replace(
      BASIC_CREDENTIAL,
      (pair, value: string) =>
        /[A-Za-z]/.test(value) && /\d/.test(value) ? `Basic ${REDACTED_TEXT}` : pair,
    )
    .replace(
      NAMED_CREDENTIAL,
      (pair, name: string, value: string) =>
        /[A-Za-z]/.test(value) && /\d/.test(value) ? `${name}=${REDACTED_TEXT}` : pair,
    );
}
