/** @module The `pyclaw config` commands' work, through the config store's validated writes. */

import {
  ConfigError,
  loadConfigFile,
  startIssues,
  type StartOverrides,
} from "../core/config/load.ts";
import { ConfigStore } from "../core/config/store.ts";
import { getAt, isPlainObject, setAt, splitKey } from "../core/config/key_path.ts";
import { REDACTED, redactSecrets } from "../core/config/secrets.ts";
import { configPath } from "../core/paths.ts";
import { runningGatewayFlags } from "./_local_state.ts";
import { fail, printJson } from "./_output.ts";
import { applyConfigChange, type ConfigChangeResult, printConfigChange } from "./_config_change.ts";
import { green, red, yellow } from "./_style.ts";

async function openStore(overrides?: StartOverrides): Promise<ConfigStore> {
  const env = Deno.env.toObject();
  try {
    return await ConfigStore.open(configPath(env), { env, overrides });
  } catch (error) {
    if (error instanceof ConfigError) {
      fail(
        new Error(`${error.message}\nFix the file by hand (\`pyclaw config path\` shows where)`),
      );
    }
    throw error;
  }
}

export async function configGet(key: string, options: { json?: boolean }): Promise<void> {
  const store = await openStore();
  let value: unknown;
  try {
    value = await store.get(key);
  } catch (error) {
    fail(error);
  }
  if (value === REDACTED && !options.json) console.log("(secret, not shown)");
  else if (typeof value === "string" && !options.json) console.log(value);
  else if (value === undefined) console.log(options.json ? "null" : "(not set)");
  else printJson(value);
}

export async function configSet(
  key: string,
  text: string,
  options: { string?: boolean },
): Promise<void> {
  // Written here only when the running gateway cannot take it: judged with that gateway's
  // flags, as the gateway itself judges it.
  const store = await openStore(await runningGatewayFlags());
  const value = options.string ? text : parseValue(text);
  let applied: ConfigChangeResult;
  try {
    applied = await applyConfigChange({ key, value }, store);
  } catch (error) {
    fail(error);
  } finally {
    store.close();
  }
  const shown = redactedAt(key, value);
  console.log(
    shown === REDACTED
      ? `Set ${key} (secret, not shown) in ${store.path}`
      : `Set ${key} = ${JSON.stringify(shown, hideRedacted)} in ${store.path}`,
  );
  printConfigChange(applied);
}

/**
 * `value` as `config get` would show it at `key`: redacted in its place in the whole config, so
 * a secret nested in an object (`models.providers.x` with its `apiKey`) or under an `env` or
 * `headers` map is hidden by the same rule as everywhere else.
 */
function redactedAt(key: string, value: unknown): unknown {
  const parts = splitKey(key);
  return getAt(redactSecrets(setAt({}, parts, value)), parts);
}

function hideRedacted(_key: string, value: unknown): unknown {
  return value === REDACTED ? "(secret)" : value;
}

/** JSON when it parses (numbers, booleans, arrays, objects, quoted strings), else the text. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function configList(options: { json?: boolean }): Promise<void> {
  const store = await openStore();
  const all = await store.get();
  if (options.json) {
    printJson(all);
    return;
  }
  for (const [key, value] of flatten(all)) console.log(`${key} = ${JSON.stringify(value)}`);
}

function* flatten(value: unknown, prefix = ""): Generator<[string, unknown]> {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) {
      yield* flatten(child, prefix ? `${prefix}.${key}` : key);
    }
  } else if (prefix) {
    yield [prefix, value === REDACTED ? "(secret)" : value];
  }
}

export async function configValidate(options: { json?: boolean }): Promise<void> {
  const env = Deno.env.toObject();
  const path = configPath(env);
  let report: {
    valid: boolean;
    path: string;
    exists: boolean;
    issues: { path: string; message: string }[];
    warnings: { path: string; message: string }[];
  };
  try {
    const loaded = await loadConfigFile(path, env);
    // What `gateway run` would refuse to start on is not valid either (a bind that is no
    // address, a LAN bind without a token, password mode without a password): judged with the
    // flags of the gateway running on this config, else for a start from the config alone.
    const flags = await runningGatewayFlags();
    const running = flags.bind !== undefined || flags.authToken;
    const refused = startIssues(loaded.config, env, flags).map((issue) => ({
      path: issue.path,
      message: (running
        ? "With the running gateway's --bind/--auth-token: "
        : "When the gateway starts from this config alone (no --bind/--auth-token): ") +
        issue.message,
    }));
    report = {
      valid: refused.length === 0,
      path,
      exists: loaded.exists,
      issues: refused,
      warnings: loaded.warnings,
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    report = { valid: false, path, exists: true, issues: error.issues, warnings: [] };
  }
  if (options.json) printJson(report);
  else {
    if (report.valid) {
      console.log(
        green(`Valid: ${path}`) + (report.exists ? "" : " (no file yet: defaults apply)"),
      );
    } else console.log(red(`Invalid: ${path}`));
    for (const issue of report.issues) console.log(`  ${issue.path || "<root>"}: ${issue.message}`);
    for (const warning of report.warnings) {
      console.log(yellow(`  warning: ${warning.path}: ${warning.message}`));
    }
  }
  Deno.exit(report.valid ? 0 : 1);
}
