/**
 * @module What counts as a secret in the config, and hiding it: kept apart from the schema and
 * the key-path helpers so the logger redacts without loading either (issue 17).
 */

/** Key names whose values are secrets: redacted in `config.get`, logs and doctor output. */
export const SECRET_KEY = /(api_?key|token|password|secret|authorization|cookie)$/i;

/** What `config.get` shows instead of a secret; sent back unchanged, it keeps the secret. */
export const REDACTED = "__PYCLAW_REDACTED__";

/** A deep copy of `data` with every secret-named string value replaced by {@linkcode REDACTED}. */
export function redactSecrets(data: unknown, keyName = ""): unknown {
  if (Array.isArray(data)) return data.map((item) => redactSecrets(item, keyName));
  if (isRecord(data)) {
    // Values of env/headers maps are secrets as often as not (API keys, bearer headers).
    const secretMap = keyName === "env" || keyName === "headers";
    return Object.fromEntries(
      Object.entries(data).map((
        [key, value],
      ) => [
        key,
        secretMap && typeof value === "string" ? REDACTED : redactSecrets(value, key),
      ]),
    );
  }
  if (typeof data === "string" && SECRET_KEY.test(keyName) && data !== "") return REDACTED;
  return data;
}

/** Each string value {@linkcode redactSecrets} would replace in `data` (empty ones too). */
export function* secretValues(data: unknown, keyName = ""): Generator<string> {
  if (Array.isArray(data)) {
    for (const item of data) yield* secretValues(item, keyName);
  } else if (isRecord(data)) {
    const secretMap = keyName === "env" || keyName === "headers";
    for (const [key, value] of Object.entries(data)) {
      if (secretMap && typeof value === "string") yield value;
      else yield* secretValues(value, key);
    }
  } else if (typeof data === "string" && SECRET_KEY.test(keyName)) {
    yield data;
  }
}

/**
 * Puts back the secrets of `previous` wherever `next` holds the redacted placeholder, so a
 * client that read the config and sends it back does not wipe them.
 */
export function restoreRedacted(next: unknown, previous: unknown): unknown {
  if (next === REDACTED) return previous;
  if (Array.isArray(next)) {
    return next.map((item, i) =>
      restoreRedacted(item, Array.isArray(previous) ? previous[i] : undefined)
    );
  }
  if (isRecord(next)) {
    const prev = isRecord(previous) ? previous : {};
    return Object.fromEntries(
      Object.entries(next).map(([key, value]) => [key, restoreRedacted(value, prev[key])]),
    );
  }
  return next;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
