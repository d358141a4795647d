/** @module The local state dir and config for commands that run without a gateway. */

import { ConfigError, loadConfigFile, type StartOverrides } from "../core/config/load.ts";
import type { Config } from "../core/config/schema.ts";
import { GatewayError } from "../core/errors.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { stateDirOwner } from "../core/state_owner.ts";

/** The state dir's paths, from `PYCLAW_STATE_DIR` or `~/.pyclaw`. */
export function localPaths(): ReturnType<typeof statePaths> {
  return statePaths(stateDir(Deno.env.toObject()));
}

/**
 * The config on disk, validated.
 *
 * @throws {GatewayError} INVALID_PARAMS naming the problem when the file is invalid
 */
export async function loadLocalConfig(): Promise<Config> {
  const env = Deno.env.toObject();
  try {
    return (await loadConfigFile(configPath(env), env)).config;
  } catch (error) {
    if (error instanceof ConfigError) throw new GatewayError("INVALID_PARAMS", error.message);
    throw error;
  }
}

/**
 * The `--bind` / `--auth-token` of the gateway running on this state dir with this config file,
 * as its record (`gateway.json`, which `token show` reads too) has them; {} when none runs.
 * `config set` / `validate` and `doctor` judge the config with them, as that gateway does.
 */
export async function runningGatewayFlags(): Promise<StartOverrides> {
  const owner = await stateDirOwner(localPaths().root);
  const record = owner.owned ? owner.record : undefined;
  if (!record || record.configPath !== configPath(Deno.env.toObject())) return {};
  return { bind: record.flags?.bind, authToken: record.flags?.authToken };
}
