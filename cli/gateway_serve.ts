/**
 * @module `pyclaw gateway run` once it listens (or is about to): opens the config store on the
 * config validated or remembered before it listened, starts the gateway on the listeners,
 * records it in the state dir, prints the ready line, and stops cleanly on a signal.
 */

import { ConfigStore } from "../core/config/store.ts";
import { startFacts } from "../core/config/start_memo.ts";
import { UNKNOWN_KEY } from "../core/config/config_text.ts";
import type { Logger } from "../core/logger.ts";
import { bindAddress, isLoopbackHost } from "../core/gateway_token.ts";
import type { StatePaths } from "../core/paths.ts";
import type { StateDirClaim } from "../core/state_owner.ts";
import {
  collectAfterStartup,
  collectAfterWork,
  keepFreedMallocMemory,
  trimFreedMalloc,
} from "../core/idle_gc.ts";
import { VERSION } from "../core/version.ts";
import type { Config } from "../core/config/schema.ts";
import type { Front } from "../server/front.ts";
import { requestsUnanswered } from "../server/client_signal.ts";
import { type Gateway, startGateway } from "../server/gateway.ts";
import type { CommandSandbox } from "../tools/sandbox/command_sandbox.ts";
import { openGatewayConfig } from "./_gateway_config.ts";
import { portInUse } from "./_gateway_messages.ts";
import type { Remembered, RunOptions } from "./gateway_run.ts";

/** What `runGateway` hands over. */
export interface ServeInput {
  options: RunOptions;
  env: Record<string, string>;
  paths: StatePaths;
  file: string;
  /** The config file's text as read (null: no file; undefined: read it again). */
  text: string | null | undefined;
  /** The config the start memo held, when the gateway listened by it. */
  remembered?: Remembered;
  /** Open when the config was validated before listening. */
  configStore?: ConfigStore;
  claim: StateDirClaim;
  logger: Logger;
  /** The listeners, when they opened before the gateway loaded. */
  front?: Front;
}

export async function serveGateway(input: ServeInput): Promise<void> {
  const { options, env, paths, file, remembered, claim, logger, front } = input;
  // From the memo, the config is the one validated before from the same text: the store
  // validates the file again only when it changes.
  const configStore = input.configStore ??
    (remembered
      ? ConfigStore.fromValidated(file, remembered, input.text ?? undefined, { env, watch: true })
      : await openGatewayConfig(file, env, input.text));
  const facts = startFacts(configStore.current);
  // Both ways of starting listen alike; the log says which one this start took, for an
  // operator asking why an edit did not seem to apply (and for tests/cli/gateway_run_test.ts).
  logger.info("config validated", {
    listenedBy: remembered ? "start memo" : "validated config",
    file,
  });
  for (const warning of configStore.warnings) {
    if (warning.message === UNKNOWN_KEY) {
      logger.warn("unknown config key ignored", { key: warning.path, file });
    } else logger.warn(warning.message, { key: warning.path, file });
  }

  let gateway: Gateway;
  try {
    gateway = await startGateway({ configStore, paths, logger, env, ...options, front });
  } catch (error) {
    const wanted = options.port ?? facts.port;
    console.error(
      `Error: ${
        error instanceof Deno.errors.AddrInUse
          ? portInUse(wanted, options.port !== undefined, bindAddress(options.bind ?? facts.bind), {
            httpPort: facts.httpPort,
          })
          : (error as Error).message
      }`,
    );
    configStore.close();
    logger.close();
    claim.release();
    Deno.exit(1);
  }

  // The file was read before the gateway loaded, and its watcher started after: an edit in
  // between is picked up now, with the gateway's listeners subscribed to log and publish it.
  await configStore.reload();
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
  let cancelStartupGc = () => {};
  let cancelAfterWorkGc = () => {};
  const stop = async (signal: string) => {
    if (stopping) exitNow(130); // a second Ctrl-C means now
    stopping = true;
    cancelStartupGc();
    cancelAfterWorkGc();
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
    flags: {
      port: options.port,
      bind: options.bind,
      authToken: options.authToken === undefined ? undefined : true,
    },
  }).catch((error) =>
    logger.warn("could not record the gateway in the state dir", {
      error: (error as Error).message,
    })
  );
  console.log(`pyclaw gateway ready: ${gateway.url}${http} (${authNote}; logs ${paths.logFile})`);

  if (configStore.current.gateway.discovery.mdns) announcer = await announce(gateway, logger);
  // After the ready line, so the probe (one bwrap run) never delays the first answer.
  await warnWhenUnsandboxed(gateway.services.sandbox, configStore.current);
  // After the ready line: a turn's batches of freed memory stay in malloc's heap from now on.
  logger.debug("malloc keeps freed memory", { set: await keepFreedMallocMemory() });
  // Start-up's garbage and grown young generation, given back once the start has gone quiet.
  if (!stopping) {
    const activity = gatewayActivity(front, gateway);
    cancelStartupGc = collectAfterStartup({
      // Not while requests or RPC frames keep coming, however still the heap reads between looks.
      activity,
      // The collection freed start-up's buffers into malloc's heap, which now keeps them.
      onCollected: async (sizes) =>
        logger.debug("start-up garbage collected", { ...sizes, ...await trimmedMalloc() }),
    });
    // And after each busy spell: what the load grew, given back once it has gone.
    cancelAfterWorkGc = collectAfterWork({
      activity,
      busy: () => gateway.services.chat.hasRuns || requestsUnanswered() > 0,
      // As after start-up, the freed buffers go back from malloc's heap too.
      onCollected: async (sizes) =>
        logger.debug("garbage collected after work", { ...sizes, ...await trimmedMalloc() }),
    });
  }
}

/** Trims malloc's heap after a collection: whether it ran, and what stays resident after it. */
async function trimmedMalloc(): Promise<{ trimmed: boolean; rssTrimmed: number }> {
  const trimmed = await trimFreedMalloc();
  return { trimmed, rssTrimmed: Deno.memoryUsage().rss };
}

/**
 * The work a gateway takes, as one count that grows with it: the requests its listeners took
 * (when they opened before it loaded) and its WebSocket clients' frames.
 */
export function gatewayActivity(
  front: Pick<Front, "requests"> | undefined,
  gateway: Pick<Gateway, "framesReceived">,
): () => number {
  return () => (front?.requests ?? 0) + gateway.framesReceived;
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
    // Only from here on does `gateway discover` find it: the log says when.
    announcer.announced.then(() =>
      logger.info("the gateway is announced over mDNS", { port: gateway.port })
    );
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
