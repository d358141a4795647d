/** @module `pyclaw gateway run`: loads the config, starts the server, stops cleanly on a signal. */

import { ConfigError } from "../core/config/load.ts";
import { ConfigStore } from "../core/config/store.ts";
import { Logger } from "../core/logger.ts";
import { isLoopbackHost } from "../core/gateway_token.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { type Gateway, startGateway } from "../server/gateway.ts";
import { VERSION } from "../core/version.ts";
import { removePidFileSync, writePidFile } from "./_gateway_pid.ts";

export interface RunOptions {
  port?: number;
  bind?: string;
  authToken?: string;
}

export async function runGateway(options: RunOptions): Promise<void> {
  const env = Deno.env.toObject();
  const paths = statePaths(stateDir(env));
  const file = configPath(env);
  let configStore: ConfigStore;
  try {
    configStore = await ConfigStore.open(file, { env, watch: true });
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
  const { logging } = configStore.current;
  const logger = new Logger({
    file: paths.logFile,
    level: logging.level,
    consoleLevel: logging.consoleLevel,
    maxFileBytes: logging.maxFileBytes,
    maxFiles: logging.maxFiles,
  });
  for (const warning of configStore.warnings) {
    logger.warn("unknown config key ignored", { key: warning.path, file });
  }

  let gateway;
  try {
    gateway = await startGateway({ configStore, paths, logger, env, ...options });
  } catch (error) {
    console.error(`Error: ${(error as Error).message}`);
    configStore.close();
    logger.close();
    Deno.exit(1);
  }

  const authNote = describeAuth(gateway.auth);
  // Signal handlers go in before anything announces the gateway: whoever waits for the ready
  // line may stop it at once, and must get a clean shutdown.
  let announcer: Awaited<ReturnType<typeof announce>>;

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) Deno.exit(130); // a second Ctrl-C means now
    stopping = true;
    logger.info("shutting down", { signal });
    const force = setTimeout(() => {
      logger.error("shutdown took over 5 s; exiting");
      Deno.exit(1);
    }, 5_000);
    await announcer?.stop().catch(() => {});
    await gateway.close();
    configStore.close();
    clearTimeout(force);
    logger.info("stopped");
    logger.close();
    removePidFileSync(paths.root);
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  const http = gateway.httpUrl ? `, HTTP ${gateway.httpUrl}` : "";
  // `gateway stop` / `restart` find a hand-started gateway by this file; it is written before
  // the ready line so that whoever waits for the line finds it.
  await writePidFile(paths.root).catch((error) =>
    logger.warn("could not write the pid file", { error: (error as Error).message })
  );
  console.log(`pyclaw gateway ready: ${gateway.url}${http} (${authNote}; logs ${paths.logFile})`);

  if (configStore.current.gateway.discovery.mdns) announcer = await announce(gateway, logger);
}

/** Says where the gateway's secret came from, never the secret itself. */
function describeAuth(auth: Gateway["auth"]): string {
  if (auth.mode === "none") return "auth OFF";
  if (auth.mode === "password") return "password auth";
  const from = { flag: "--auth-token", env: "PYCLAW_AUTH_TOKEN", config: "config" } as const;
  if (auth.source === "generated") return `auth token generated into ${auth.file}`;
  if (auth.source === "file") return `auth token from ${auth.file}`;
  return `auth token from ${from[auth.source]}`;
}

/** Announces the gateway over mDNS (`gateway.discovery.mdns`); a failure is logged, not fatal. */
async function announce(gateway: Gateway, logger: Logger) {
  if (isLoopbackHost(gateway.runtime.bindHost)) {
    logger.warn(
      "gateway.discovery.mdns is on but the gateway binds loopback only: other " +
        "machines will see the announcement and fail to connect",
    );
  }
  try {
    const { announceGateway } = await import("../agent/discovery/mdns.ts");
    const announcer = await announceGateway({
      name: `pyclaw on ${Deno.hostname()}`,
      port: gateway.port,
      txt: {
        version: VERSION,
        protocol: "3",
        auth: gateway.auth.mode,
        ...(gateway.httpPort ? { httpPort: String(gateway.httpPort) } : {}),
      },
    }, (error) => logger.warn("mDNS announcement failed", { error: error.message }));
    logger.info("announcing the gateway over mDNS", { type: "_pyclaw._tcp", port: gateway.port });
    return announcer;
  } catch (error) {
    logger.warn("mDNS announcement failed", { error: (error as Error).message });
    return undefined;
  }
}
