/** @module The local state dir and config for commands that run without a gateway. */

import { ConfigError, loadConfigFile } from "../core/config/load.ts";
import type { Config } from "../core/config/schema.ts";
import { GatewayError } from "../core/errors.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";

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
