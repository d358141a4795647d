/** @module Reading `pyclaw.json`: JSON5 text, `${ENV}` substitution, schema validation. */

// The ES module build: the package's CommonJS main made Deno start its CommonJS loader at
// start-up (~100 ms on a loaded machine, issue 17).
// @ts-types="json5"
import JSON5 from "json5/dist/index.mjs";
import type { z } from "zod";
import { type Config, configSchema } from "./schema.ts";
import { isPlainObject } from "./key_path.ts";
import { authProblem, bindAddress } from "../gateway_token.ts";
import {
  ConfigError,
  type ConfigIssue,
  deepFreeze,
  formatPath,
  parseConfigTextWith,
  substituteEnv,
} from "./config_text.ts";

export { ConfigError, type ConfigIssue, substituteEnv };

/** A validated config and what was tolerated on the way. */
export interface LoadedConfig {
  config: Config;
  /** The document as written (before `${ENV}` substitution); what `config.set` edits. */
  raw: Record<string, unknown>;
  /** Unknown keys, ignored. */
  warnings: ConfigIssue[];
}

/** Parses JSON5 text into an object, naming the line and column of a syntax error. */
export function parseConfigText(text: string, file?: string): Record<string, unknown> {
  return parseConfigTextWith(JSON5.parse, text, file);
}

function withoutKeys(data: unknown, path: readonly PropertyKey[], keys: string[]): unknown {
  if (path.length === 0) {
    if (!isPlainObject(data)) return data;
    const copy = { ...data };
    for (const key of keys) delete copy[key];
    return copy;
  }
  const [head, ...rest] = path;
  if (Array.isArray(data) && typeof head === "number") {
    return data.map((item, i) => (i === head ? withoutKeys(item, rest, keys) : item));
  }
  if (isPlainObject(data) && typeof head === "string" && head in data) {
    return { ...data, [head]: withoutKeys(data[head], rest, keys) };
  }
  return data;
}

/** Options of {@linkcode validateConfig}. */
export interface ValidateOptions {
  /**
   * Also refuse what `gateway run` (without flags, in this environment) would refuse to start
   * on: the auth a bind needs ({@linkcode startIssues}). Off for readers of a config that a
   * gateway may run on with flags (`--auth-token`, `--bind`). @default false
   */
  startRules?: boolean;
}

/**
 * What `gateway run` without flags would refuse to start on in `env`, by key path: the same
 * rule (core/gateway_token.ts `authProblem`) the gateway applies before it listens.
 */
export function startIssues(
  config: Config,
  env: Record<string, string | undefined>,
): ConfigIssue[] {
  const auth = config.gateway.auth;
  const problem = authProblem(
    { mode: auth.mode, tokenSet: Boolean(auth.token), passwordSet: Boolean(auth.password) },
    { env, bindHost: bindAddress(config.gateway.bind) },
  );
  return problem ? [problem] : [];
}

/**
 * Validates a raw config document. Unknown keys become warnings and are dropped; any other
 * problem throws a {@linkcode ConfigError} naming every bad key path.
 */
export function validateConfig(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
  file?: string,
  options: ValidateOptions = {},
): LoadedConfig {
  const envIssues: ConfigIssue[] = [];
  let data = substituteEnv(raw, env, envIssues);
  const warnings: ConfigIssue[] = [];
  for (let round = 0; round < 64; round++) {
    // Parsed once per load: zod's compiled fast path would cost more to build (20-100 ms at
    // start, measured) than it saves on one parse.
    const result = configSchema().safeParse(data, { jitless: true });
    if (result.success) {
      if (envIssues.length) throw new ConfigError(envIssues, file);
      const refused = options.startRules ? startIssues(result.data, env) : [];
      if (refused.length) throw new ConfigError(refused, file);
      return { config: deepFreeze(result.data), raw, warnings };
    }
    const unknown = result.error.issues.filter((issue) => issue.code === "unrecognized_keys");
    const other = result.error.issues.filter((issue) => issue.code !== "unrecognized_keys");
    if (other.length || envIssues.length) {
      throw new ConfigError([...envIssues, ...other.map(toIssue)], file);
    }
    for (const issue of unknown as z.core.$ZodIssueUnrecognizedKeys[]) {
      for (const key of issue.keys) {
        warnings.push({ path: formatPath([...issue.path, key]), message: "Unknown key (ignored)" });
      }
      data = withoutKeys(data, issue.path, issue.keys);
    }
  }
  throw new ConfigError([{ path: "", message: "Config is too deeply invalid" }], file);
}

function toIssue(issue: z.core.$ZodIssue): ConfigIssue {
  return { path: formatPath(issue.path), message: issue.message };
}

/** Reads and validates the config file; a missing file yields the defaults. */
export async function loadConfigFile(
  file: string,
  env: Record<string, string | undefined>,
  options: ValidateOptions = {},
): Promise<LoadedConfig & { exists: boolean }> {
  return loadConfigText(await readConfigText(file), file, env, options);
}

/**
 * The config file's text, or undefined when there is none.
 *
 * @throws {ConfigError} when the file exists but cannot be read
 */
export async function readConfigText(file: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new ConfigError(
      [{ path: "", message: `Cannot read: ${(error as Error).message}` }],
      file,
    );
  }
}

/** Validates text already read from `file` (undefined: no file, so the defaults). */
export function loadConfigText(
  text: string | undefined,
  file: string,
  env: Record<string, string | undefined>,
  options: ValidateOptions = {},
): LoadedConfig & { exists: boolean } {
  if (text === undefined) return { ...validateConfig({}, env, file, options), exists: false };
  return { ...validateConfig(parseConfigText(text, file), env, file, options), exists: true };
}
