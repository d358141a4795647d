/** @module Starts a real gateway on ephemeral ports with a temporary state dir, for tests. */

import { join } from "node:path";
import { ConfigStore } from "../../core/config/store.ts";
import { Logger } from "../../core/logger.ts";
import { statePaths } from "../../core/paths.ts";
import type { ConnectOptions, GatewayClient } from "../../core/protocol/client.ts";
import { type Gateway, startGateway } from "../../server/gateway.ts";
import { assertNoContractDrift, connectChecked } from "./contract.ts";

/** Options for {@linkcode startTestGateway}. */
export interface TestGatewayOptions {
  /** Written to `pyclaw.json` before start. */
  config?: Record<string, unknown>;
  /** Extra environment (for `${VAR}` substitution and PYCLAW_* variables). */
  env?: Record<string, string>;
  /** @default "test-token-0123456789abcdef" */
  authToken?: string | null;
  /** Watch the config file. @default false */
  watch?: boolean;
  /** Second HTTP listener. @default false (the HTTP routes are served on the main port too) */
  httpPort?: number | false;
  /** Use this state dir, and keep it at close (restart tests). @default a fresh temp dir */
  stateDir?: string;
}

/** A running test gateway and what tests need to talk to it. */
export interface TestGateway {
  gateway: Gateway;
  url: string;
  /** http://127.0.0.1:<ws port> */
  baseUrl: string;
  token: string | undefined;
  stateDir: string;
  configPath: string;
  configStore: ConfigStore;
  paths: ReturnType<typeof statePaths>;
  /** Connects and authenticates a client (the gateway token unless options say otherwise). */
  connect(options?: ConnectOptions): Promise<GatewayClient>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export const TEST_TOKEN = "test-token-0123456789abcdef";

/** A temporary state dir with the test's config, the config store over it, and a logger. */
export async function prepareTestState(options: TestGatewayOptions) {
  const stateDir = options.stateDir ?? await Deno.makeTempDir({ prefix: "pyclaw-test-" });
  const configPath = join(stateDir, "pyclaw.json");
  // Tests keep the console quiet unless they ask otherwise (reloads re-apply logging settings).
  const logging = { consoleLevel: "silent", ...(options.config?.logging as object | undefined) };
  await Deno.writeTextFile(configPath, JSON.stringify({ ...options.config, logging }, null, 2));
  const env: Record<string, string> = { PYCLAW_STATE_DIR: stateDir, ...options.env };
  const paths = statePaths(stateDir);
  const configStore = await ConfigStore.open(configPath, {
    env,
    watch: options.watch ?? false,
    debounceMs: 50,
  });
  const logger = new Logger({ file: paths.logFile, level: "debug", consoleLevel: "silent" });
  const authToken = options.authToken === null ? undefined : options.authToken ?? TEST_TOKEN;
  return { stateDir, configPath, env, paths, configStore, logger, authToken };
}

/**
 * What ends a test gateway: its clients first, then the gateway, the config store and the log;
 * the state dir unless the test gave its own; and a check that nothing crossed the wire outside
 * the catalogue's contract.
 */
export function testGatewayCloser(
  state: Awaited<ReturnType<typeof prepareTestState>>,
  gateway: { close(): Promise<void> },
  clients: GatewayClient[],
  options: { stateDir?: string },
): () => Promise<void> {
  return async () => {
    for (const client of clients) client.close();
    await Promise.all(clients.map((client) => client.closed));
    await gateway.close();
    state.configStore.close();
    state.logger.close();
    if (!options.stateDir) {
      await Deno.remove(state.stateDir, { recursive: true }).catch(() => {});
    }
    assertNoContractDrift();
  };
}

/** Starts a gateway on `127.0.0.1:0`. Close it (or `await using` it) at the end of the test. */
export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const state = await prepareTestState(options);
  const { stateDir, configPath, env, paths, configStore, logger, authToken } = state;
  const gateway = await startGateway({
    configStore,
    paths,
    logger,
    env,
    port: 0,
    bind: "127.0.0.1",
    authToken,
    httpPort: options.httpPort ?? false,
  });
  const token = gateway.auth.mode === "token" ? gateway.auth.token : undefined;
  const clients: GatewayClient[] = [];
  const close = testGatewayCloser(state, gateway, clients, options);
  return {
    gateway,
    url: gateway.url,
    baseUrl: `http://127.0.0.1:${gateway.port}`,
    token,
    stateDir,
    configPath,
    configStore,
    paths,
    async connect(connectOptions: ConnectOptions = {}) {
      const client = await connectChecked(gateway.url, {
        token,
        clientName: "test",
        ...connectOptions,
      });
      clients.push(client);
      return client;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Opens a raw WebSocket (no handshake) and collects every frame it receives. */
export async function openRawSocket(
  url: string,
  headers?: Record<string, string>,
): Promise<
  { socket: WebSocket; frames: unknown[]; next(): Promise<unknown>; closed: Promise<CloseEvent> }
> {
  const socket = headers
    ? new WebSocket(url, { headers } as unknown as string[])
    : new WebSocket(url);
  const frames: unknown[] = [];
  const waiters: ((frame: unknown) => void)[] = [];
  let read = 0;
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    frames.push(frame);
    waiters.shift()?.(frame);
  };
  const closed = new Promise<CloseEvent>((resolve) => socket.addEventListener("close", resolve));
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  return {
    socket,
    frames,
    closed,
    next() {
      if (read < frames.length) return Promise.resolve(frames[read++]);
      return new Promise((resolve) =>
        waiters.push((frame) => {
          read++;
          resolve(frame);
        })
      );
    },
  };
}
