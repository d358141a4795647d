/**
 * @module The CLI's in-process route: the gateway's own services and method tables, in local
 * mode (nothing scheduled, no listener), with a client attached over an in-memory link. A
 * command sends the same request either way, so its params meet the same schema, its errors
 * carry the same codes, and its results have the same shape as through a running gateway.
 * Loaded with `import()` only when a command runs without a gateway: it pulls in the server.
 */

import { ConfigError } from "../core/config/load.ts";
import { ConfigStore } from "../core/config/store.ts";
import { GatewayError } from "../core/errors.ts";
import { Logger } from "../core/logger.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { GatewayClient } from "../core/protocol/client.ts";
import { createLinkedPair } from "../core/protocol/transport.ts";
import { stateDirOwnedSync } from "../core/state_owner.ts";
import { startGatewayCore } from "../server/gateway_core.ts";
import { CLI_CLIENT_NAME } from "./_gateway_client.ts";

/** A client of the in-process gateway. */
export interface LocalGateway {
  client: GatewayClient;
  /** Closes the client and stops every service the core started. */
  close(): Promise<void>;
}

/** Options of {@linkcode openLocalGateway}. */
export interface LocalGatewayOptions {
  /**
   * Connect the configured MCP servers first: for commands that run an agent turn or report on
   * the servers; every other command leaves them alone.
   * @default false
   */
  connectMcp?: boolean;
}

/**
 * Starts the gateway's services on the state dir in this process and connects a client to them.
 *
 * @throws {GatewayError} INVALID_PARAMS naming the problem when the config file is invalid
 */
export async function openLocalGateway(options: LocalGatewayOptions = {}): Promise<LocalGateway> {
  const env = Deno.env.toObject();
  let configStore: ConfigStore;
  try {
    configStore = await ConfigStore.open(configPath(env), { env });
  } catch (error) {
    if (error instanceof ConfigError) throw new GatewayError("INVALID_PARAMS", error.message);
    throw error;
  }
  const paths = statePaths(stateDir(env));
  const logging = configStore.current.logging;
  // The work leaves the same trail in the log file as the gateway's, and nothing on the console.
  // A full file is rotated here only while no gateway owns the state dir: a rename under a live
  // gateway would leave it writing to `gateway.log.1` (the reads `--local` allows beside one).
  const logger = new Logger({
    file: paths.logFile,
    level: logging.level,
    fileOnly: true,
    maxFileBytes: logging.maxFileBytes,
    maxFiles: logging.maxFiles,
    rotate: () => !stateDirOwnedSync(paths.root),
  }).child({ via: "cli" });
  const release = () => {
    configStore.close();
    logger.close();
  };
  let core;
  try {
    core = await startGatewayCore({
      configStore,
      paths,
      logger,
      env,
      bindHost: "127.0.0.1",
      mode: "local",
      connectMcp: options.connectMcp ?? false,
    });
  } catch (error) {
    release();
    throw error;
  }
  const [serverSide, clientSide] = createLinkedPair();
  core.attach(serverSide, { address: "127.0.0.1", local: true });
  const client = new GatewayClient(clientSide);
  const token = core.auth.mode === "token" ? core.auth.token : undefined;
  const close = async () => {
    client.close();
    await client.closed;
    await core.close();
    release();
  };
  try {
    await client.handshake({ token, clientName: CLI_CLIENT_NAME });
  } catch (error) {
    await close();
    throw error;
  }
  return { client, close };
}
