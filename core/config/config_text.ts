/**
 * @module The config file's text before the schema sees it: parsing it, `${ENV}` substitution
 * and the error that names where a config is wrong. Kept apart from the schema (core/config/
 * load.ts) so a gateway starting from its start memo reads its config without loading zod, and
 * without the JSON5 parser when the file is plain JSON (issue 17, idle memory).
 */

// @ts-types="json5"
import type JSON5 from "json5/dist/index.mjs";

/** A problem at one key path of the config. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** The config could not be used; `issues` say where and why. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  readonly file?: string;

  constructor(issues: ConfigIssue[], file?: string) {
    const where = file ? ` (${file})` : "";
    super(
      `Invalid config${where}: ` +
        issues.map((issue) => `${issue.path || "<root>"}: ${issue.message}`).join("; "),
    );
    this.name = "ConfigError";
    this.issues = issues;
    this.file = file;
  }
}

/** The message of a config warning about a key the schema does not declare. */
export const UNKNOWN_KEY = "Unknown key (ignored)";

/** The message of a config issue about a `${NAME}` whose environment variable is not set. */
export function envNotSet(name: string): string {
  return `Environment variable ${name} is not set`;
}

/** Whether `message` is one {@linkcode envNotSet} made. */
export function isEnvNotSet(message: string): boolean {
  return /^Environment variable \S+ is not set$/.test(message);
}

/** `a.b[0].c` for the path `["a", "b", 0, "c"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) =>
    typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`
  ).join("");
}

/**
 * Parses JSON5 text into an object with `parse`, naming the line and column of a syntax error.
 *
 * @throws {ConfigError} when the text does not parse or is not an object
 */
export function parseConfigTextWith(
  parse: (text: string) => unknown,
  text: string,
  file?: string,
): Record<string, unknown> {
  if (text.trim() === "") return {};
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new ConfigError([{ path: "", message: (error as Error).message }], file);
  }
  if (!isPlainObject(data)) {
    throw new ConfigError([{ path: "", message: "The config must be a JSON object" }], file);
  }
  return data;
}

/** The JSON5 package's name, built at run time: a literal would be walked at every start. */
const JSON5_MODULE = ["json5", "dist", "index.mjs"].join("/");

/**
 * Parses the config text as {@linkcode parseConfigTextWith} does with JSON5, importing the
 * JSON5 parser only for text that is not plain JSON. JSON5 is a superset of JSON, so both read
 * plain JSON alike; the start memo checks that what it restores equals what was validated.
 *
 * @throws {ConfigError} when the text does not parse or is not an object
 */
export async function parseConfigTextLazily(
  text: string,
  file?: string,
): Promise<Record<string, unknown>> {
  try {
    return parseConfigTextWith(JSON.parse, text, file);
  } catch {
    const { default: json5 } = await import(JSON5_MODULE) as { default: typeof JSON5 };
    return parseConfigTextWith(json5.parse, text, file);
  }
}

const ENV_REF = /\$\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * Replaces `${NAME}` in every string value with the environment variable's value.
 * `$${NAME}` stays as the literal `${NAME}`. A variable that is not set is an issue.
 */
export function substituteEnv(
  data: unknown,
  env: Record<string, string | undefined>,
  issues: ConfigIssue[] = [],
  path: PropertyKey[] = [],
): unknown {
  if (typeof data === "string") {
    return data.replace(ENV_REF, (match, name: string | undefined) => {
      if (name === undefined) return match.slice(1);
      const value = env[name];
      if (value === undefined) {
        issues.push({ path: formatPath(path), message: envNotSet(name) });
        return "";
      }
      return value;
    });
  }
  if (Array.isArray(data)) {
    return data.map((item, i) => substituteEnv(item, env, issues, [...path, i]));
  }
  if (isPlainObject(data)) {
    return Object.fromEntries(
      Object.entries(data).map((
        [key, value],
      ) => [key, substituteEnv(value, env, issues, [...path, key])]),
    );
  }
  return data;
}

/**
 * The names of the variables {@linkcode substituteEnv} reads for `data`, sorted: found in the
 * parsed strings as substitution finds them, so a `${NAME}` written with an escape
 * (`"\u0024{NAME}"`, a JSON5 line continuation) is named too, and `$${NAME}` is not.
 */
export function substitutedEnvNames(data: unknown): string[] {
  const names = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === "string") {
      for (const match of value.matchAll(ENV_REF)) if (match[1] !== undefined) names.add(match[1]);
    } else if (Array.isArray(value)) value.forEach(walk);
    else if (isPlainObject(value)) Object.values(value).forEach(walk);
  };
  walk(data);
  return [...names].sort();
}

/** `value` with every object in it frozen: the config in force is never changed in place. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// Here rather than from key_path.ts, which brings the error codes: this module is read before
// the gateway listens.
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
