/** @module `pyclaw gateway run`: loads the config, starts the server, stops cleanly on a signal. */

import { ConfigError } from "../core/config/load.ts";
import { ConfigStore } from "../core/config/store.ts";
import { Logger } from "../core/logger.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { startGateway } from "../server/gateway.ts";

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

  const auth = gateway.auth;
  const authNote = auth.mode === "token"
    ? auth.source === "generated"
      ? `auth token generated into ${auth.file}`
      : auth.source === "file"
      ? `auth token from ${auth.file}`
      : `auth token from ${
        auth.source === "flag"
          ? "--auth-token"
          : auth.source === "env"
          ? "PYCLAW_AUTH_TOKEN"
          : "config"
      }`
    : auth.mode === "password"
    ? "password auth"
    : "auth OFF";
  const http = gateway.httpUrl ? `, HTTP ${gateway.httpUrl}` : "";
  console.log(`pyclaw gateway ready: ${gateway.url}${http} (${authNote}; logs ${paths.logFile})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) Deno.exit(130); // a second Ctrl-C means now
    stopping = true;
    logger.info("shutting down", { signal });
    const force = setTimeout(() => {
      logger.error("shutdown took over 5 s; exiting");
      Deno.exit(1);
    }, 5_000);
    await gateway.close();
    configStore.close();
    clearTimeout(force);
    logger.info("stopped");
    logger.close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
}
