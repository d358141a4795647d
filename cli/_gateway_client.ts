/**
 * @module How client commands find and reach the local gateway: URL from config, credentials
 * from the flags, the environment, the config, or the generated token file.
 */

import { ConfigError, loadConfigFile } from "../core/config/load.ts";
import type { Config } from "../core/config/schema.ts";
import { readTokenFile } from "../core/gateway_token.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { GatewayClient } from "../core/protocol/client.ts";

/** The flags every client command takes. */
export interface ClientFlags {
  url?: string;
  token?: string;
  password?: string;
  timeout?: number;
}

/** Where to connect and with what. */
export interface ClientTarget {
  url: string;
  token?: string;
  password?: string;
  timeoutMs: number;
  config?: Config;
  configError?: string;
}

/** Works out the target from flags, environment, config and token file. */
export async function resolveTarget(flags: ClientFlags): Promise<ClientTarget> {
  const env = Deno.env.toObject();
  let config: Config | undefined;
  let configError: string | undefined;
  try {
    config = (await loadConfigFile(configPath(env), env)).config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configError = error.message;
  }
  const port = config?.gateway.port ?? 18789;
  const url = flags.url ?? `ws://127.0.0.1:${port}`;
  const password = flags.password ?? env.PYCLAW_AUTH_PASSWORD ?? config?.gateway.auth.password;
  let token: string | undefined = flags.token ?? env.PYCLAW_AUTH_TOKEN ??
    config?.gateway.auth.token;
  if (!token && !password) token = await readTokenFile(statePaths(stateDir(env)).tokenFile);
  return {
    url: normalizeUrl(url),
    token,
    password,
    timeoutMs: flags.timeout ?? 10_000,
    config,
    configError,
  };
}

/** Accepts `host:port`, `http(s)://` and `ws(s)://` forms. */
export function normalizeUrl(url: string): string {
  if (/^https?:\/\//i.test(url)) return url.replace(/^http/i, "ws");
  if (!/^wss?:\/\//i.test(url)) return `ws://${url}`;
  return url;
}

/** Connects and authenticates. */
export function connectTo(target: ClientTarget): Promise<GatewayClient> {
  return GatewayClient.connect(target.url, {
    token: target.token,
    password: target.password,
    timeoutMs: target.timeoutMs,
  });
}
