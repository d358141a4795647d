/**
 * @module The gateway's core (services, dispatcher, connections, events) with clients attached
 * over in-memory transports: no port, no socket, no HTTP. For method-family tests that only
 * talk the protocol; protocol, security, HTTP and crash tests keep a real listening gateway.
 *
 * @example
 * ```ts
 * await using gw = await startInProcessGateway();
 * const client = await gw.connect();
 * await client.request("sessions.list");
 * ```
 */

import type { Clock } from "../../core/clock.ts";
import { type ConnectOptions, GatewayClient } from "../../core/protocol/client.ts";
import { createLinkedPair } from "../../core/protocol/transport.ts";
import { contractCheckedTransport } from "./contract.ts";
import { type GatewayCore, startGatewayCore } from "../../server/gateway_core.ts";
import { prepareTestState, testGatewayCloser, type TestGatewayOptions } from "./gateway.ts";

/** Options of {@linkcode startInProcessGateway}. */
export interface InProcessGatewayOptions extends Omit<TestGatewayOptions, "httpPort"> {
  /** The time cron, heartbeat and approvals run on (a `ManualClock`). @default systemClock */
  clock?: Clock;
}

/** A gateway core and what tests need to talk to it. */
export interface InProcessGateway {
  gateway: GatewayCore;
  token: string | undefined;
  stateDir: string;
  configPath: string;
  configStore: Awaited<ReturnType<typeof prepareTestState>>["configStore"];
  paths: Awaited<ReturnType<typeof prepareTestState>>["paths"];
  /** Attaches a client over an in-memory link and performs `connect` (the gateway token). */
  connect(options?: ConnectOptions): Promise<GatewayClient>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts a gateway core on a temporary state dir. Close it at the end of the test. */
export async function startInProcessGateway(
  options: InProcessGatewayOptions = {},
): Promise<InProcessGateway> {
  const state = await prepareTestState(options);
  const { stateDir, configPath, env, paths, configStore, logger, authToken } = state;
  const gateway = await startGatewayCore({
    configStore,
    paths,
    logger,
    env,
    bindHost: "127.0.0.1",
    authToken,
    clock: options.clock,
  });
  const token = gateway.auth.mode === "token" ? gateway.auth.token : undefined;
  const clients: GatewayClient[] = [];
  const close = testGatewayCloser(state, gateway, clients, options);
  return {
    gateway,
    token,
    stateDir,
    configPath,
    configStore,
    paths,
    async connect(connectOptions: ConnectOptions = {}) {
      const [serverSide, clientSide] = createLinkedPair();
      // An in-memory client is local: it is spared the per-address cap, as loopback clients are.
      gateway.attach(serverSide, { address: "127.0.0.1", local: true });
      const client = new GatewayClient(contractCheckedTransport(clientSide));
      clients.push(client);
      await client.handshake({ token, clientName: "test", ...connectOptions });
      return client;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
