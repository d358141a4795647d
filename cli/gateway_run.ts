/** @module `pyclaw gateway run`: loads the config, starts the server, stops cleanly on a signal. */

import { ConfigError } from "../core/config/load.ts";
import { ConfigStore } from "../core/config/store.ts";
import { Logger } from "../core/logger.ts";
import { bindAddress, isLoopbackHost, isValidBind } from "../core/gateway_token.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { type Gateway, startGateway } from "../server/gateway.ts";
import { VERSION } from "../core/version.ts";
import type { Config } from "../core/config/schema.ts";
import type { CommandSandbox } from "../tools/sandbox/command_sandbox.ts";
import { claimStateDir, StateDirBusyError, type StateDirClaim } from "../core/state_owner.ts";

export interface RunOptions {
  port?: number;
  bind?: string;
  authToken?: string;
}

export async function runGateway(options: RunOptions): Promise<void> {
  const env = Deno.env.toObject();
  const paths = statePaths(stateDir(env));
  const file = configPath(env);
  if (options.bind !== undefined && !isValidBind(options.bind)) {
    console.error(`Error: ${badBind("--bind", options.bind)}`);
    Deno.exit(2);
  }
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
  const { bind, port } = configStore.current.gateway;
  if (options.bind === undefined && !isValidBind(bind)) {
    console.error(`Error: ${badBind("gateway.bind", bind)}`);
    Deno.exit(1);
  }
  // Before anything starts (cron, channels, the log): two gateways on one state dir would fire
  // every job twice and write the same session files.
  let claim: StateDirClaim;
  try {
    claim = await claimStateDir(paths.root);
  } catch (error) {
    if (!(error instanceof StateDirBusyError)) throw error;
    console.error(`Error: ${error.message}`);
    configStore.close();
    Deno.exit(1);
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
    const wanted = options.port ?? port;
    console.error(
      `Error: ${
        error instanceof Deno.errors.AddrInUse
          ? portInUse(wanted, options.port !== undefined, bindAddress(options.bind ?? bind), {
            httpPort: configStore.current.gateway.http.port,
          })
          : (error as Error).message
      }`,
    );
    configStore.close();
    logger.close();
    claim.release();
    Deno.exit(1);
  }

  const authNote = describeAuth(gateway.auth);
  // Signal handlers go in before anything announces the gateway: whoever waits for the ready
  // line may stop it at once, and must get a clean shutdown.
  let announcer: Awaited<ReturnType<typeof announce>>;

  // An exit that does not wait for the services still writes the usage records of the last
  // batch window (`USAGE_BATCH_MS`); a hard kill loses them (docs/sessions.md).
  const exitNow = (code: number): never => {
    try {
      gateway.services.usage.flushSync();
    } catch (error) {
      logger.error("usage records not written", { error: (error as Error).message });
    }
    Deno.exit(code);
  };
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) exitNow(130); // a second Ctrl-C means now
    stopping = true;
    logger.info("shutting down", { signal });
    const force = setTimeout(() => {
      logger.error("shutdown took over 5 s; exiting");
      exitNow(1);
    }, 5_000);
    await announcer?.stop().catch(() => {});
    await gateway.close();
    configStore.close();
    clearTimeout(force);
    logger.info("stopped");
    logger.close();
    claim.release();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", () => stop("SIGINT"));
  if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", () => stop("SIGTERM"));
  const http = gateway.httpUrl ? `, HTTP ${gateway.httpUrl}` : "";
  // The CLI finds the gateway (`--port` included) and `gateway stop` its pid by this record; it
  // is written before the ready line so that whoever waits for the line finds it.
  await claim.record({
    url: gateway.url,
    port: gateway.port,
    httpUrl: gateway.httpUrl,
    bind: gateway.runtime.bindHost,
    configPath: file,
  }).catch((error) =>
    logger.warn("could not record the gateway in the state dir", {
      error: (error as Error).message,
    })
  );
  console.log(`pyclaw gateway ready: ${gateway.url}${http} (${authNote}; logs ${paths.logFile})`);

  if (configStore.current.gateway.discovery.mdns) announcer = await announce(gateway, logger);
  // After the ready line, so the probe (one bwrap run) never delays the first answer.
  await warnWhenUnsandboxed(gateway.services.sandbox, configStore.current);
}

function badBind(source: string, value: string): string {
  return `${source} ${JSON.stringify(value)} is not an address: use loopback, lan, or an IP ` +
    "address such as 127.0.0.1 or 0.0.0.0";
}

/**
 * Names the port that is taken and where it came from. The HTTP listener fails the same way
 * when its port is configured, so look which one is really taken.
 */
function portInUse(
  wanted: number,
  fromFlag: boolean,
  hostname: string,
  options: { httpPort?: number | false },
): string {
  let wsFree = false;
  try {
    Deno.listen({ hostname, port: wanted }).close();
    wsFree = true;
  } catch { /* taken: the WebSocket port is the one */ }
  if (wsFree) {
    return `HTTP port ${options.httpPort} (gateway.http.port) is in use: choose another, or ` +
      "set it to false to serve the HTTP API on the WebSocket port only";
  }
  const source = fromFlag ? "--port" : "gateway.port";
  return `Port ${wanted} (${source}) is in use: another gateway? Try --port <port>, or ` +
    "`pyclaw gateway stop` if it is an old pyclaw gateway";
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

/** Says plainly, on the console, when agent commands will run on the host. */
async function warnWhenUnsandboxed(sandbox: CommandSandbox, config: Config): Promise<void> {
  const { sandbox: mode } = config.tools.exec;
  if (mode === "none") {
    console.error("pyclaw: tools.exec.sandbox is none: agent commands run on the host");
    return;
  }
  const availability = await sandbox.availability();
  if (availability.available) return;
  console.error(
    mode === "bwrap"
      ? `pyclaw: tools.exec.sandbox is bwrap but ${availability.reason}: agent commands will be refused`
      : `pyclaw: agent commands run unsandboxed: ${availability.reason}`,
  );
}
