/**
 * @module The protocol's client: request ids, pending requests, timeouts and error mapping over
 * a {@linkcode Transport}. The CLI, the Control UI (in the browser) and the tests use it; it
 * never loads the server, and imports nothing of `core/` outside `core/protocol/`.
 */

import { GatewayError } from "./errors.ts";
import type { TypedEventFrame } from "./events.ts";
import { type HelloPayload, PROTOCOL, type ServerFrame } from "./frames.ts";
import type { MethodName, MethodParams, MethodResult } from "./methods.ts";
import { type Transport, webSocketTransport } from "./transport.ts";

/** Options for {@linkcode GatewayClient.connect}. */
export interface ConnectOptions {
  token?: string;
  password?: string;
  /** Name recorded by the gateway (`system.presence`). @default "pyclaw-client" */
  clientName?: string;
  /** Limit for opening the socket and for the `connect` reply, in ms. @default 10000 */
  timeoutMs?: number;
  minProtocol?: number;
  maxProtocol?: number;
  /** Extra headers for the upgrade request (e.g. `Origin` in tests). */
  headers?: Record<string, string>;
  /**
   * `all`: receive every session's `chat.*` events (observers). By default a client gets those
   * of the sessions it sent to or read, and every event that belongs to no session.
   */
  events?: "all" | "watched";
}

/** Options for one request. */
export interface RequestOptions {
  /** @default 30000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

interface Pending {
  resolve(payload: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** A connected, authenticated protocol client. */
export class GatewayClient {
  #transport: Transport;
  #pending = new Map<string, Pending>();
  #nextId = 1;
  #listeners = new Set<(frame: TypedEventFrame) => void>();
  #closeInfo: { code: number; reason: string } | undefined;
  #closed: Promise<{ code: number; reason: string }>;
  hello: HelloPayload | undefined;

  constructor(transport: Transport) {
    this.#transport = transport;
    let markClosed!: (info: { code: number; reason: string }) => void;
    this.#closed = new Promise((resolve) => (markClosed = resolve));
    transport.onmessage = (text) => this.#receive(text);
    transport.onclose = (code, reason) => {
      this.#closeInfo = { code, reason };
      for (const pending of this.#pending.values()) {
        clearTimeout(pending.timer);
        pending.reject(new Error(lostConnection(code, reason)));
      }
      this.#pending.clear();
      markClosed({ code, reason });
    };
  }

  /**
   * Opens a WebSocket to `url` and performs the `connect` handshake.
   *
   * @throws {GatewayError} when the gateway refuses the handshake (e.g. AUTH_REQUIRED)
   * @throws {Error} when the gateway cannot be reached in time
   */
  static async connect(url: string, options: ConnectOptions = {}): Promise<GatewayClient> {
    const socket = await openWebSocket(url, options);
    return await GatewayClient.over(webSocketTransport(socket), options);
  }

  /**
   * Performs the `connect` handshake over an open transport; closes it when the gateway refuses.
   *
   * @throws {GatewayError} when the gateway refuses the handshake
   */
  static async over(transport: Transport, options: ConnectOptions = {}): Promise<GatewayClient> {
    const client = new GatewayClient(transport);
    try {
      await client.handshake(options);
    } catch (error) {
      client.close();
      await client.closed;
      throw error;
    }
    return client;
  }

  /** Sends `connect` and stores the server's hello. */
  async handshake(options: ConnectOptions = {}): Promise<HelloPayload> {
    const auth: { token?: string; password?: string } = {};
    if (options.token) auth.token = options.token;
    if (options.password) auth.password = options.password;
    const hello = await this.request("connect", {
      minProtocol: options.minProtocol ?? PROTOCOL.min,
      maxProtocol: options.maxProtocol ?? PROTOCOL.max,
      clientName: options.clientName ?? "pyclaw-client",
      auth,
      ...(options.events ? { events: options.events } : {}),
    }, { timeoutMs: options.timeoutMs ?? 10_000 });
    this.hello = hello;
    return hello;
  }

  /**
   * Sends a request and resolves with its payload, or rejects with the gateway's error. A method
   * of the catalogue (`core/protocol/methods.ts`) is typed from it: its params, and its result.
   */
  request<M extends MethodName>(
    method: M,
    params?: MethodParams<M>,
    options?: RequestOptions,
  ): Promise<MethodResult<M>>;
  /** Any other method, or params the catalogue refuses (a test of the server's checks). */
  request(method: string, params?: unknown, options?: RequestOptions): Promise<unknown>;
  request(method: string, params?: unknown, options: RequestOptions = {}): Promise<unknown> {
    if (this.#closeInfo) return Promise.reject(new Error("Connection is closed"));
    const id = String(this.#nextId++);
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${method}`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      options.signal?.addEventListener("abort", () => {
        if (!this.#pending.delete(id)) return;
        clearTimeout(timer);
        reject(new GatewayError("ABORTED", `Request ${method} aborted`));
      }, { once: true });
      this.#transport.send(JSON.stringify({ type: "req", id, method, params: params ?? {} }));
    });
  }

  /**
   * Listens to event frames, each typed by its name from the catalogue (`core/protocol/events.ts`);
   * returns the unsubscribe function.
   */
  onEvent(listener: (frame: TypedEventFrame) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Resolves once the connection has closed. */
  get closed(): Promise<{ code: number; reason: string }> {
    return this.#closed;
  }

  close(code = 1000, reason = ""): void {
    this.#transport.close(code, reason);
  }

  #receive(text: string) {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === "event") {
      for (const listener of this.#listeners) listener(frame as TypedEventFrame);
      return;
    }
    if (frame.type !== "res" || frame.id === null) return;
    const pending = this.#pending.get(String(frame.id));
    if (!pending) return;
    this.#pending.delete(String(frame.id));
    clearTimeout(pending.timer);
    if (frame.ok) pending.resolve(frame.payload);
    else pending.reject(GatewayError.fromShape(frame.error));
  }
}

/**
 * Opens a WebSocket to `url` within `options.timeoutMs`.
 *
 * @throws {Error} when the socket does not open in time or fails to
 */
export async function openWebSocket(
  url: string,
  options: Pick<ConnectOptions, "timeoutMs" | "headers"> = {},
): Promise<WebSocket> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const socket = options.headers
    // Deno accepts headers on the upgrade request; browsers do not.
    ? new WebSocket(url, { headers: options.headers } as unknown as string[])
    : new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`Timed out after ${timeoutMs} ms connecting to ${url}`));
    }, timeoutMs);
    socket.onopen = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.onerror = (event) => {
      clearTimeout(timer);
      const message = (event as ErrorEvent).message || "connection failed";
      reject(new Error(`Cannot reach ${url}: ${message}`));
    };
  });
  socket.onerror = null;
  return socket;
}

/**
 * What a request learns when the socket closes under it. A raw close code (`0`, `1006`) means
 * nothing to a user; the gateway's reason ("gateway shutting down") does.
 */
function lostConnection(code: number, reason: string): string {
  return reason
    ? `Lost connection to the gateway: ${reason} (close code ${code})`
    : "Lost connection to the gateway";
}
