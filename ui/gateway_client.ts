/**
 * @module The browser's protocol v3 client: `connect` with the token, request ids and timeouts,
 * event fan-out, and reconnects with exponential backoff. A refused token stops the retries.
 */

/** Where the connection stands, for the header and the sign-in screen. */
export type ConnectionState =
  | { kind: "connecting"; attempt: number }
  | { kind: "open"; server: string; connId: string }
  | { kind: "waiting"; attempt: number; retryInMs: number; reason: string }
  | { kind: "refused"; code: string; message: string }
  | { kind: "closed" };

/** An error the gateway answered with. */
export class RpcError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

interface Pending {
  resolve(payload: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Options of {@linkcode GatewayConnection}. */
export interface ConnectionOptions {
  url: string;
  token: string;
  onState(state: ConnectionState): void;
  onEvent(event: string, payload: unknown): void;
  /** First retry delay, doubled each failure. @default 500 */
  baseDelayMs?: number;
  /** @default 15000 */
  maxDelayMs?: number;
}

const PROTOCOL = 3;

/** One signed-in connection that keeps itself open until {@linkcode GatewayConnection.close}. */
export class GatewayConnection {
  #options: ConnectionOptions;
  #socket: WebSocket | undefined;
  #pending = new Map<string, Pending>();
  #nextId = 1;
  #attempt = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;
  #open = false;
  #everOpened = false;

  constructor(options: ConnectionOptions) {
    this.#options = options;
    this.#dial();
  }

  /** True once `connect` succeeded and the socket is still up. */
  get open(): boolean {
    return this.#open;
  }

  /** Sends a request; rejects with {@linkcode RpcError} when the gateway answers an error. */
  request<T = unknown>(method: string, params: unknown = {}, timeoutMs = 30_000): Promise<T> {
    const socket = this.#socket;
    if (!socket || !this.#open) {
      return Promise.reject(new RpcError("UNAVAILABLE", "Not connected to the gateway"));
    }
    return this.#send<T>(socket, method, params, timeoutMs);
  }

  /** Stops for good (sign-out). */
  close(): void {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#socket?.close(1000, "signed out");
    this.#fail(new RpcError("UNAVAILABLE", "Signed out"));
    this.#options.onState({ kind: "closed" });
  }

  #send<T>(socket: WebSocket, method: string, params: unknown, timeoutMs: number): Promise<T> {
    const id = `ui-${this.#nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new RpcError("TIMEOUT", `No answer to ${method} after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (p: unknown) => void, reject, timer });
      socket.send(JSON.stringify({ type: "req", id, method, params }));
    });
  }

  #dial(): void {
    if (this.#stopped) return;
    this.#attempt += 1;
    this.#options.onState({ kind: "connecting", attempt: this.#attempt });
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.#options.url);
    } catch (error) {
      this.#retry(`Cannot open ${this.#options.url}: ${(error as Error).message}`);
      return;
    }
    this.#socket = socket;
    let refused = false;
    socket.onopen = async () => {
      try {
        const hello = await this.#send<
          { server: { name: string; version: string }; connId: string }
        >(
          socket,
          "connect",
          {
            minProtocol: PROTOCOL,
            maxProtocol: PROTOCOL,
            clientName: "pyclaw-control-ui",
            // The same secret serves a token gateway and a password gateway.
            auth: { token: this.#options.token, password: this.#options.token },
          },
          10_000,
        );
        this.#open = true;
        this.#everOpened = true;
        this.#attempt = 0;
        this.#options.onState({
          kind: "open",
          server: `${hello.server.name} ${hello.server.version}`,
          connId: hello.connId,
        });
      } catch (error) {
        const code = error instanceof RpcError ? error.code : "UNAVAILABLE";
        if (code === "AUTH_REQUIRED" || code === "RATE_LIMITED" || code === "INVALID_PARAMS") {
          refused = true;
          this.#stopped = true;
          this.#options.onState({ kind: "refused", code, message: (error as Error).message });
        }
        socket.close();
      }
    };
    socket.onmessage = (message) => this.#receive(String(message.data));
    socket.onclose = (event) => {
      const wasOpen = this.#open;
      this.#open = false;
      this.#fail(new RpcError("UNAVAILABLE", "The connection to the gateway closed"));
      if (this.#stopped || refused) return;
      const reason = wasOpen
        ? `Connection lost${event.reason ? ` (${event.reason})` : ""}`
        : `Cannot reach the gateway at ${this.#options.url}${
          this.#everOpened ? "" : originHint(this.#options.url)
        }`;
      this.#retry(reason);
    };
  }

  #retry(reason: string): void {
    const base = this.#options.baseDelayMs ?? 500;
    const max = this.#options.maxDelayMs ?? 15_000;
    const delay = Math.min(max, base * 2 ** Math.min(this.#attempt - 1, 10));
    // Jitter spreads many tabs reconnecting to a restarted gateway.
    const retryInMs = Math.round(delay * (0.8 + Math.random() * 0.4));
    this.#options.onState({ kind: "waiting", attempt: this.#attempt, retryInMs, reason });
    this.#retryTimer = setTimeout(() => this.#dial(), retryInMs);
  }

  #fail(error: Error): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#pending.clear();
  }

  #receive(text: string): void {
    let frame: {
      type?: string;
      id?: string;
      ok?: boolean;
      payload?: unknown;
      error?: { code: string; message: string };
      event?: string;
    };
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === "event" && typeof frame.event === "string") {
      this.#options.onEvent(frame.event, frame.payload);
      return;
    }
    if (frame.type !== "res" || typeof frame.id !== "string") return;
    const pending = this.#pending.get(frame.id);
    if (!pending) return;
    this.#pending.delete(frame.id);
    clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.payload);
    else {
      pending.reject(
        new RpcError(frame.error?.code ?? "INTERNAL_ERROR", frame.error?.message ?? "Failed"),
      );
    }
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
