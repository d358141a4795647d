/** @module Reading `pyclaw.json`: JSON5 text, `${ENV}` substitution, schema validation. */

// The ES module build: the package's CommonJS main made Deno start its CommonJS loader at
// start-up (~100 ms on a loaded machine, issue 17).
// @ts-types="json5"
import JSON5 from "json5/dist/index.mjs";
import type { z } from "zod";
import { type Config, configSchema } from "./schema.ts";
import { isPlainObject } from "./key_path.ts";
import { authProblem, bindAddress, isValidBind } from "../gateway_token.ts";
import { MAX_SYSTEM_PROMPT_CHARS } from "../protocol/limits.ts";
import {
  ConfigError,
  type ConfigIssue,
  deepFreeze,
  formatPath,
  parseConfigTextWith,
  substituteEnv,
  UNKNOWN_KEY,
} from "./config_text.ts";

export { ConfigError, type ConfigIssue, substituteEnv, UNKNOWN_KEY };

/** A validated config and what was tolerated on the way. */
export interface LoadedConfig {
  config: Config;
  /** The document as written (before `${ENV}` substitution); what `config.set` edits. */
  raw: Record<string, unknown>;
  /** Unknown keys (ignored), then {@linkcode configWarnings}. */
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

/**
 * What a gateway's command line sets over its config, for the rules that judge the settings in
 * force ({@linkcode startIssues}): `gateway run --bind` / `--auth-token`, as the running gateway
 * knows them (its own flags) or records them (`gateway.json`'s `flags`).
 */
export interface StartOverrides {
  /** `--bind`: the gateway listens there whatever `gateway.bind` says. */
  bind?: string;
  /** Whether `--auth-token` gave the token (the secret itself is not needed to judge). */
  authToken?: boolean;
}

/**
 * What `gateway run` would refuse to start on in `env` with the command-line `overrides`, by
 * key path: a `gateway.bind` that is no address (unless `--bind` replaces it), and the auth the
 * bind in force needs, by the same rule (core/gateway_token.ts `authProblem`) the gateway
 * applies before it listens.
 */
export function startIssues(
  config: Config,
  env: Record<string, string | undefined>,
  overrides: StartOverrides = {},
): ConfigIssue[] {
  if (overrides.bind === undefined && !isValidBind(config.gateway.bind)) {
    // No auth can be judged for an address the gateway cannot listen on.
    return [{
      path: "gateway.bind",
      message: `${JSON.stringify(config.gateway.bind)} is not an address the gateway can ` +
        "listen on: use loopback, lan, or an IP address such as 127.0.0.1 or 0.0.0.0 " +
        "(gateway run refuses to start on it unless --bind gives another)",
    }];
  }
  const auth = config.gateway.auth;
  const problem = authProblem(
    { mode: auth.mode, tokenSet: Boolean(auth.token), passwordSet: Boolean(auth.password) },
    {
      env,
      bindHost: bindAddress(overrides.bind ?? config.gateway.bind),
      flagToken: overrides.authToken ? "--auth-token" : undefined,
    },
  );
  return problem ? [problem] : [];
}

/**
 * What a config may hold but a new edit may not bring (`config.set` / `config.patch` refuse it,
 * core/config/store.ts), by key path: an agent id used twice (the gateway uses the first entry
 * with it) and a system prompt over chat.send's {@linkcode MAX_SYSTEM_PROMPT_CHARS}. A config an
 * older pyclaw took with these still starts and restores; `config validate` and doctor warn.
 */
export function configWarnings(config: Config): ConfigIssue[] {
  return keyedConfigWarnings(config).map((warning) => warning.issue);
}

/** A {@linkcode configWarnings} entry with what it is about, wherever in the list it sits. */
export interface KeyedConfigWarning {
  issue: ConfigIssue;
  /**
   * The problem itself, not its place: the nth entry with an agent id, or whose system prompt
   * (defaults' or an agent id's) with what text. An edit that only moves an entry (removes or
   * inserts one before it) keeps the key, so the store does not take it for a new problem.
   */
  key: string;
}

/** {@linkcode configWarnings}, each with a key that does not change when list entries move. */
export function keyedConfigWarnings(config: Config): KeyedConfigWarning[] {
  const warnings: KeyedConfigWarning[] = [];
  const first = new Map<string, number>();
  const seen = new Map<string, number>();
  for (const [index, agent] of config.agents.list.entries()) {
    const count = (seen.get(agent.id) ?? 0) + 1;
    seen.set(agent.id, count);
    const earlier = first.get(agent.id);
    if (earlier === undefined) first.set(agent.id, index);
    else {
      warnings.push({
        issue: {
          path: `agents.list[${index}].id`,
          message: `Duplicate agent id "${agent.id}": the gateway uses the first entry with it ` +
            `(agents.list[${earlier}]) and ignores this one`,
        },
        key: `duplicate\n${count}\n${agent.id}`,
      });
    }
  }
  const prompts: [path: string, owner: string, prompt: string | undefined][] = [
    ["agents.defaults.systemPrompt", "defaults", config.agents.defaults.systemPrompt],
    [
      "agents.defaults.compaction.memoryFlush.systemPrompt",
      "memoryFlush",
      config.agents.defaults.compaction.memoryFlush.systemPrompt,
    ],
    ...config.agents.list.map((agent, i) =>
      [`agents.list[${i}].systemPrompt`, `agent ${agent.id}`, agent.systemPrompt] as [
        string,
        string,
        string | undefined,
      ]
    ),
  ];
  for (const [path, owner, prompt] of prompts) {
    if (prompt !== undefined && prompt.length > MAX_SYSTEM_PROMPT_CHARS) {
      warnings.push({
        issue: {
          path,
          message: `System prompt of ${prompt.length} characters, over the ` +
            `${MAX_SYSTEM_PROMPT_CHARS} chat.send takes: it is used as it is, but an edit may ` +
            "not set one this long",
        },
        key: `prompt\n${owner}\n${prompt}`,
      });
    }
  }
  return warnings;
}

/**
 * Validates a raw config document. Unknown keys become warnings and are dropped; any other
 * problem throws a {@linkcode ConfigError} naming every bad key path.
 */
export function validateConfig(
  raw: Record<string, unknown>,
  env: Record<string, string | undefined>,
  file?: string,
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
      warnings.push(...configWarnings(result.data));
      return { config: deepFreeze(result.data), raw, warnings };
    }
    const unknown = result.error.issues.filter((issue) => issue.code === "unrecognized_keys");
    const other = result.error.issues.filter((issue) => issue.code !== "unrecognized_keys");
    if (other.length || envIssues.length) {
      throw new ConfigError([...envIssues, ...other.map(toIssue)], file);
    }
    for (const issue of unknown as z.core.$ZodIssueUnrecognizedKeys[]) {
      for (const key of issue.keys) {
        warnings.push({ path: formatPath([...issue.path, key]), message: UNKNOWN_KEY });
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
): Promise<LoadedConfig & { exists: boolean }> {
  return loadConfigText(await readConfigText(file), file, env);
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
): LoadedConfig & { exists: boolean } {
  if (text === undefined) return { ...validateConfig({}, env, file), exists: false };
  return { ...validateConfig(parseConfigText(text, file), env, file), exists: true };
}
