/**
 * @module Where the gateway's own token lives and how to replace it, for `setup` and `token`:
 * the same precedence the gateway uses (PYCLAW_AUTH_TOKEN, then config, then the token file).
 */

import { getAt } from "../core/config/key_path.ts";
import type { ConfigStore } from "../core/config/store.ts";
import { generateToken, readTokenFile, writeTokenFile } from "../core/gateway_token.ts";

/** The token in force for a gateway started from this config, and where it comes from. */
export interface TokenInfo {
  token?: string;
  source: "env" | "config" | "file" | "none";
  /** The token file, or the config file when the source is config. */
  location?: string;
  mode: "token" | "password" | "none";
}

/** Reads the token the way the gateway would at start (without generating one). */
export async function currentToken(
  configStore: ConfigStore,
  tokenFile: string,
  env: Record<string, string | undefined>,
): Promise<TokenInfo> {
  const mode = configStore.current.gateway.auth.mode;
  if (env.PYCLAW_AUTH_TOKEN) return { token: env.PYCLAW_AUTH_TOKEN, source: "env", mode };
  const configured = configStore.current.gateway.auth.token;
  if (configured) return { token: configured, source: "config", location: configStore.path, mode };
  const fromFile = await readTokenFile(tokenFile);
  if (fromFile) return { token: fromFile, source: "file", location: tokenFile, mode };
  return { source: "none", location: tokenFile, mode };
}

/** Why a gateway in auth `mode` uses no token at all; undefined in token mode. */
export function tokenUnused(mode: TokenInfo["mode"]): string | undefined {
  return mode === "token"
    ? undefined
    : `gateway.auth.mode is ${mode}, so the gateway uses no token`;
}

/**
 * Replaces the token where it lives (config or token file; the file when there is none yet),
 * with `token` or a new random one. A running gateway watches both and drops the old token.
 *
 * @throws {Error} when the token comes from PYCLAW_AUTH_TOKEN or a `${VAR}` in the config,
 * which this program cannot change
 */
export async function replaceToken(
  configStore: ConfigStore,
  tokenFile: string,
  env: Record<string, string | undefined>,
  token: string = generateToken(),
): Promise<TokenInfo> {
  const current = await currentToken(configStore, tokenFile, env);
  const unused = tokenUnused(current.mode);
  if (unused) {
    throw new Error(
      `${unused}: ${
        current.mode === "password"
          ? "change gateway.auth.password instead"
          : "set it to token first"
      }`,
    );
  }
  if (current.source === "env") {
    throw new Error(
      "The gateway token comes from PYCLAW_AUTH_TOKEN: change that variable (and restart the " +
        "gateway) instead",
    );
  }
  if (current.source === "config") {
    const raw = await rawConfigToken(configStore.path);
    if (typeof raw === "string" && raw.includes("${")) {
      throw new Error(
        `gateway.auth.token in ${configStore.path} is ${raw}: change that variable instead`,
      );
    }
    await configStore.set("gateway.auth.token", token);
    return { token, source: "config", location: configStore.path, mode: current.mode };
  }
  await writeTokenFile(tokenFile, token);
  return { token, source: "file", location: tokenFile, mode: current.mode };
}

async function rawConfigToken(file: string): Promise<unknown> {
  const { parseConfigText } = await import("../core/config/load.ts");
  try {
    return getAt(parseConfigText(await Deno.readTextFile(file), file), [
      "gateway",
      "auth",
      "token",
    ]);
  } catch {
    return undefined;
  }
}
