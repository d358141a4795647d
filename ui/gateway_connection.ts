/**
 * @module The Control UI's connection to the gateway: the protocol client of `core/protocol/`
 * over the browser's WebSocket, kept open with exponential backoff. A refused sign-in stops the
 * retries. Requests, timeouts, errors and events are the core client's; this adds only what a
 * page that stays open needs.
 */

import { GatewayClient, openWebSocket, type RequestOptions } from "../core/protocol/client.ts";
import { type ErrorCode, isGatewayError } from "../core/protocol/errors.ts";
import type { TypedEventFrame } from "../core/protocol/events.ts";
import type { MethodName, MethodParams, MethodResult } from "../core/protocol/methods.ts";
import { webSocketTransport } from "../core/protocol/transport.ts";

/** Where the connection stands, for the header and the sign-in screen. */
export type ConnectionState =
  | { kind: "connecting"; attempt: number }
  | { kind: "open"; server: string; connId?: string }
  | { kind: "waiting"; attempt: number; retryInMs: number; reason: string }
  | { kind: "refused"; code: ErrorCode; message: string }
  | { kind: "closed" };

/** Options of {@linkcode GatewayConnection}. */
export interface ConnectionOptions {
  url: string;
  token: string;
  onState(state: ConnectionState): void;
  onEvent(frame: TypedEventFrame): void;
  /** First retry delay, doubled each failure. @default 500 */
  baseDelayMs?: number;
  /** @default 15000 */
  maxDelayMs?: number;
}

/** The UI speaks protocol v3 only. */
const UI_PROTOCOL = 3;
/** The gateway recognises the Control UI by this name (`server/rpc/web.ts`). */
const CLIENT_NAME = "pyclaw-control-ui";
/** Answers to `connect` that the same secret will get again: retrying cannot help. */
const REFUSALS: ReadonlySet<ErrorCode> = new Set([
  "AUTH_REQUIRED",
  "RATE_LIMITED",
  "INVALID_PARAMS",
]);

/** One signed-in connection that keeps itself open until {@linkcode GatewayConnection.close}. */
export class GatewayConnection {
  #options: ConnectionOptions;
  /** The client once `connect` succeeded, until its socket closes. */
  #client: GatewayClient | undefined;
  /** The client whose handshake is under way, so that a sign-out can cut it short. */
  #dialing: GatewayClient | undefined;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #everOpened = false;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    void this.#dial();
  }

  /** True once `connect` succeeded and the socket is still up. */
  get open(): boolean {
    return this.#client !== undefined;
  }

  /**
   * Sends a request of the catalogue; rejects with the gateway's `GatewayError` when it answers
   * an error, and with a plain `Error` when there is no connection or no answer in time.
   */
  request<M extends MethodName>(
    method: M,
    params?: MethodParams<M>,
    options?: RequestOptions,
  ): Promise<MethodResult<M>> {
    if (!this.#client) return Promise.reject(new Error("Not connected to the gateway"));
    return this.#client.request(method, params, options);
  }

  /** Stops for good (sign-out). */
  close(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    (this.#client ?? this.#dialing)?.close(1000, "signed out");
    this.#options.onState({ kind: "closed" });
  }

  async #dial(): Promise<void> {
    if (this.#stopped) return;
    this.#attempt += 1;
    this.#options.onState({ kind: "connecting", attempt: this.#attempt });
    const { url, token } = this.#options;
    let client: GatewayClient | undefined;
    try {
      const socket = await openWebSocket(url, { timeoutMs: 10_000 });
      client = new GatewayClient(webSocketTransport(socket));
      this.#dialing = client;
      if (this.#stopped) throw new Error("Signed out");
      client.onEvent((frame) => this.#options.onEvent(frame));
      const hello = await client.handshake({
        minProtocol: UI_PROTOCOL,
        maxProtocol: UI_PROTOCOL,
        clientName: CLIENT_NAME,
        // The same secret serves a token gateway and a password gateway.
        token,
        password: token,
        timeoutMs: 10_000,
      });
      this.#opened(client, `${hello.server.name} ${hello.server.version}`, hello.connId);
    } catch (error) {
      client?.close();
      if (this.#stopped) return;
      if (isGatewayError(error) && REFUSALS.has(error.code)) {
        this.#stopped = true;
        this.#options.onState({ kind: "refused", code: error.code, message: error.message });
        return;
      }
      this.#retry(`Cannot reach the gateway at ${url}${this.#everOpened ? "" : originHint(url)}`);
    } finally {
      this.#dialing = undefined;
    }
  }

  #opened(client: GatewayClient, server: string, connId: string | undefined): void {
    this.#client = client;
    this.#everOpened = true;
    this.#attempt = 0;
    this.#options.onState({ kind: "open", server, connId });
    void client.closed.then(({ reason }) => {
      this.#client = undefined;
      if (!this.#stopped) this.#retry(`Connection lost${reason ? ` (${reason})` : ""}`);
    });
  }

  #retry(reason: string): void {
    const base = this.#options.baseDelayMs ?? 500;
    const max = this.#options.maxDelayMs ?? 15_000;
    const delay = Math.min(max, base * 2 ** Math.min(this.#attempt - 1, 10));
    // Jitter spreads many tabs reconnecting to a restarted gateway.
    const retryInMs = Math.round(delay * (0.8 + Math.random() * 0.4));
    this.#options.onState({ kind: "waiting", attempt: this.#attempt, retryInMs, reason });
    this.#retryTimer = setTimeout(() => void this.#dial(), retryInMs);
  }
}

/**
 * Why a gateway that is up may still refuse the socket: it accepts pages from loopback and IP
 * addresses on its own, and from other host names only when listed (DNS rebinding).
 */
function originHint(url: string): string {
  const host = new URL(url).hostname;
  const literal = host === "localhost" || host.startsWith("[") || /^[\d.]+$/.test(host);
  return literal
    ? ""
    : " (if it is running, add this page's origin to gateway.auth.allowedOrigins)";
}

/** The gateway's WebSocket URL for this page: same host and port. */
export function gatewayUrl(location: Location): string {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/`;
}
