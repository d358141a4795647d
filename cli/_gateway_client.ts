/**
 * @module How client commands find and reach the local gateway: the URL from `--url`, else
 * `PYCLAW_GATEWAY_URL`, else the record of the gateway that owns the state dir (wherever it
 * listens), else the configured port; credentials from the flags, the environment, the config,
 * or the generated token file.
 */

import { ConfigError, loadConfigFile } from "../core/config/load.ts";
import type { Config } from "../core/config/schema.ts";
import { readTokenFile } from "../core/gateway_token.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { GatewayClient } from "../core/protocol/client.ts";
import { type StateDirOwner, stateDirOwner } from "../core/state_owner.ts";
import { VERSION } from "../core/version.ts";

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
  /** Where the URL came from: `--url`/`PYCLAW_GATEWAY_URL` (`explicit`), the owner's record, or config. */
  urlSource: "explicit" | "record" | "config";
  /** The gateway that holds the state dir's lock, if one does. */
  owner: StateDirOwner;
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
  const paths = statePaths(stateDir(env));
  const owner = await stateDirOwner(paths.root);
  const explicit = flags.url ?? (env.PYCLAW_GATEWAY_URL || undefined);
  const recorded = owner.owned ? owner.record?.url : undefined;
  const url = explicit ?? recorded ?? `ws://127.0.0.1:${config?.gateway.port ?? 18789}`;
  const password = flags.password ?? env.PYCLAW_AUTH_PASSWORD ?? config?.gateway.auth.password;
  let token: string | undefined = flags.token ?? env.PYCLAW_AUTH_TOKEN ??
    config?.gateway.auth.token;
  if (!token && !password) token = await readTokenFile(paths.tokenFile);
  return {
    url: normalizeUrl(url),
    token,
    password,
    timeoutMs: flags.timeout ?? 10_000,
    config,
    configError,
    urlSource: explicit ? "explicit" : recorded ? "record" : "config",
    owner,
  };
}

/** Accepts `host:port`, `http(s)://` and `ws(s)://` forms. */
export function normalizeUrl(url: string): string {
  if (/^https?:\/\//i.test(url)) return url.replace(/^http/i, "ws");
  if (!/^wss?:\/\//i.test(url)) return `ws://${url}`;
  return url;
}

/** How the CLI names itself to the gateway (`system.presence`). */
export const CLI_CLIENT_NAME = `pyclaw-cli/${VERSION}`;

/** Connects and authenticates. */
export function connectTo(target: ClientTarget): Promise<GatewayClient> {
  return GatewayClient.connect(target.url, {
    clientName: CLI_CLIENT_NAME,
    token: target.token,
    password: target.password,
    timeoutMs: target.timeoutMs,
  });
}
