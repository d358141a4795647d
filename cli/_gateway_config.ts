/** @module The config `gateway run` starts on, or its refusal to start on an invalid one. */

import { ConfigError } from "../core/config/config_text.ts";
import { ConfigStore } from "../core/config/store.ts";

/**
 * Opens and watches the config at `file` (validating `text` when the caller read it already);
 * on an invalid config, says so and exits 1.
 */
export async function openGatewayConfig(
  file: string,
  env: Record<string, string>,
  text?: string | null,
): Promise<ConfigStore> {
  try {
    return await ConfigStore.open(file, { env, watch: true, text });
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Error: ${error.message}`);
      console.error(
        "The gateway does not start on an invalid config. Run `pyclaw doctor` for details.",
      );
      Deno.exit(1);
    }
    throw error;
  }
}
