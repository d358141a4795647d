/**
 * @module One client connection: the `connect` handshake, per-connection event `seq`, request
 * rate limiting, frame size limit, and a bound on unsent data for clients that stop reading.
 */

import type { EventName, EventPayload } from "../core/protocol/events.ts";
import { ErrorCode, type ErrorShape, GatewayError, isGatewayError } from "../core/errors.ts";
import {
  type FrameId,
  isFrameProblem,
  parseRequestFrame,
  PROTOCOL,
  type ServerFrame,
} from "../core/protocol/frames.ts";
import type { Transport } from "../core/protocol/transport.ts";
import { PACKAGE_NAME, VERSION } from "../core/version.ts";
import { importLazily, loadOnce } from "../core/lazy_module.ts";
import type { Config } from "../core/config/schema.ts";
import type { Logger } from "../core/logger.ts";
import type { ClientInfo, RpcContext } from "./context.ts";
import type { ClientAddress } from "./client_address.ts";
import type { Dispatcher } from "./dispatcher.ts";
import {
  type AuthFailureLimiter,
  type CredentialCheck,
  type CredentialKind,
  type GatewayAuth,
  verifyCredentials,
} from "./auth.ts";

/**
 * The `connect` contract, loaded by the first handshake: the `gateway.*` family's schemas are
 * not built while no client connects (issue 17, idle RSS).
 */
const connectContract = loadOnce(() =>
  importLazily<typeof import("../core/protocol/methods/gateway.ts")>(
    new URL("../core/protocol/methods/gateway.ts", import.meta.url),
  ).then((module) => module.gatewayContract.connect)
);

/** Close codes used by the gateway. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  policyViolation: 1008,
  messageTooBig: 1009,
} as const;

/** An event frame serialised once, with the place of the per-connection `seq` left open. */
export interface EncodedEvent {
  readonly head: string;
  readonly tail: string;
}

/** Serialises an event frame once for any number of connections. */
export function encodeEvent<E extends EventName>(event: E, payload: EventPayload<E>): EncodedEvent {
  let head = heads.get(event);
  if (head === undefined) {
    head = `{"type":"event","event":${JSON.stringify(event)},"seq":`;
    heads.set(event, head);
  }
  return { head, tail: `,"payload":${JSON.stringify(payload ?? null)}}` };
}

/** Each event name's frame head, written once (the catalogue's names are a fixed few). */
const heads = new Map<string, string>();

/** What a connection needs from the gateway. */
export interface ConnectionDeps {
  dispatcher: Dispatcher;
  auth(): GatewayAuth;
  extraCredential?: CredentialCheck;
  authLimiter: AuthFailureLimiter;
  config(): Config;
  logger: Logger;
  /** Builds the handler context for one request. */
  context(connection: Connection, signal: AbortSignal): RpcContext;
  onAuthenticated(connection: Connection): void;
  onClose(connection: Connection): void;
  /** A frame came in (counted for the collections at quiet moments, core/idle_gc.ts). */
  onFrame?(): void;
}

/** One WebSocket client of the gateway. */
export class Connection {
  readonly id = crypto.randomUUID();
  readonly address: string;
  /** A local client, spared the failed-auth lockout (see client_address.ts). */
  readonly local: boolean;
  /** When it connected (ms since the epoch): a number, not a `Date`, held by every connection. */
  readonly connectedAt = Date.now();
  clientName = "unknown";
  protocol = 0;
  /** What let this client in; rotating the gateway's secret closes the "gateway" ones. */
  credential: CredentialKind | undefined;
  /** The paired device this client connected as; revoking the device closes it. */
  deviceId: string | undefined;
  /** Asked at `connect` for every session's events, not only the watched ones. */
  wantsAllEvents = false;
  #state: "new" | "connecting" | "open" | "closed" = "new";
  #seq = 0;
  #transport: Transport;
  #deps: ConnectionDeps;
  /** Requests being handled; made with the first (most connections sit idle with none). */
  #inflight: Set<AbortController> | undefined;
  /** The `connect` deadline; once the gateway closed the connection, the grace of its socket. */
  #timer: ReturnType<typeof setTimeout> | undefined;
  #socketOpen = true;
  /** What to do once the socket has gone, where the connection closed before it. */
  #afterSocket: (() => void) | undefined;
  #tokens: number;
  #lastRefill = performance.now();

  constructor(transport: Transport, client: ClientAddress, deps: ConnectionDeps) {
    this.#transport = transport;
    this.address = client.address;
    this.local = client.local;
    this.#deps = deps;
    this.#tokens = deps.config().gateway.limits.requestBurst;
    transport.onmessage = (text) => this.#receive(text);
    transport.onclose = () => this.#socketClosed();
    const deadline = deps.config().gateway.limits.connectTimeoutMs;
    this.#timer = setTimeout(() => {
      if (this.#state === "new" || this.#state === "connecting") {
        this.close(CloseCode.policyViolation, "connect not received in time");
      }
    }, deadline);
  }

  /**
   * Runs `callback` once the socket has gone (at once where it has): it closed or failed. A
   * connection the gateway closed has sent its close frame and waits for the client's answer;
   * Deno keeps the socket until then (neither a second `close()` nor its idle ping ends it), so
   * a client that never answers keeps its socket, and its address's slot, which is what caps how
   * many such sockets one address can hold (see `ConnectionRegistry.remove`). A socket closed
   * before its upgrade completed is different: it sends nothing and may never report anything,
   * so its wait ends `connectTimeoutMs` after the gateway closed it, or it would hold the slot
   * for good.
   */
  whenSocketGone(callback: () => void): void {
    if (!this.#socketOpen) {
      callback();
      return;
    }
    this.#afterSocket = callback;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (!this.#transport.closedBeforeOpen) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      // It opened after all (and was closed again): it reports its end like any other socket.
      if (!this.#transport.closedBeforeOpen) return;
      // The socket may stay for as long as its client likes: it no longer holds the connection.
      this.#transport.onmessage = this.#transport.onclose = undefined;
      this.letGoOfSocket();
    }, this.#deps.config().gateway.limits.connectTimeoutMs);
  }

  /** Stops waiting for the socket: what waits for it runs now (the gateway shuts down). */
  letGoOfSocket(): void {
    this.#socketOpen = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const after = this.#afterSocket;
    this.#afterSocket = undefined;
    after?.();
  }

  get authenticated(): boolean {
    return this.#state === "open";
  }

  get info(): ClientInfo {
    return {
      connId: this.id,
      clientName: this.clientName,
      address: this.address,
      connectedAt: new Date(this.connectedAt).toISOString(),
      protocol: this.protocol,
    };
  }

  /** Pushes an event frame with the next `seq`. */
  sendEvent<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.sendEncoded(encodeEvent(event, payload));
  }

  /** Pushes an event serialised once for many connections, with this connection's next `seq`. */
  sendEncoded(encoded: EncodedEvent): void {
    if (this.#state !== "open") return;
    this.#sendText(encoded.head + ++this.#seq + encoded.tail);
  }

  close(code: number = CloseCode.normal, reason = ""): void {
    if (this.#state === "closed") return;
    this.#transport.close(code, reason);
    this.#closed();
  }

  #send(frame: ServerFrame): void {
    this.#sendText(JSON.stringify(frame));
  }

  #sendText(text: string): void {
    if (this.#state === "closed") return;
    try {
      this.#transport.send(text);
    } catch {
      this.#closed();
      return;
    }
    if (this.#transport.bufferedAmount > this.#deps.config().gateway.limits.maxBufferedBytes) {
      this.#deps.logger.warn("closing a connection that stopped reading", {
        connId: this.id,
        address: this.address,
        bufferedBytes: this.#transport.bufferedAmount,
      });
      this.close(CloseCode.policyViolation, "send buffer limit exceeded");
    }
  }

  #reply(id: FrameId | null, payload: unknown): void {
    this.#send({ type: "res", id, ok: true, payload });
  }

  #fail(id: FrameId | null, error: ErrorShape): void {
    this.#send({ type: "res", id, ok: false, error });
  }

  #receive(text: string): void {
    if (this.#state === "closed") return;
    this.#deps.onFrame?.();
    const limit = this.#deps.config().gateway.limits.maxFrameBytes;
    // UTF-16 length is a lower bound of the UTF-8 size, and 3× an upper bound.
    if (
      text.length > limit ||
      (text.length * 3 > limit && new TextEncoder().encode(text).length > limit)
    ) {
      this.close(CloseCode.messageTooBig, `Frame exceeds ${limit} bytes`);
      return;
    }
    const frame = parseRequestFrame(text);
    if (isFrameProblem(frame)) {
      if (this.#state !== "open") {
        this.#fail(frame.id, {
          code: ErrorCode.AUTH_REQUIRED,
          message: "The first request must be connect",
        });
        this.close(CloseCode.policyViolation, "connect required");
        return;
      }
      this.#fail(frame.id, { code: frame.code, message: frame.message });
      return;
    }
    if (this.#state !== "open") {
      if (frame.method !== "connect" || this.#state === "connecting") {
        this.#fail(frame.id, {
          code: ErrorCode.AUTH_REQUIRED,
          message: "The first request must be connect",
        });
        this.close(CloseCode.policyViolation, "connect required");
        return;
      }
      this.#state = "connecting";
      this.#connect(frame.id, frame.params).catch((error) => {
        this.#deps.logger.error("connect failed unexpectedly", { error });
        this.#fail(frame.id, {
          code: ErrorCode.INTERNAL_ERROR,
          message: "Internal error in connect",
        });
        this.close(CloseCode.policyViolation, "connect failed");
      });
      return;
    }
    if (frame.method === "connect") {
      this.#fail(frame.id, { code: ErrorCode.INVALID_PARAMS, message: "Already connected" });
      return;
    }
    if (!this.#takeToken()) {
      this.#fail(frame.id, {
        code: ErrorCode.RATE_LIMITED,
        message: "Too many requests on this connection",
      });
      return;
    }
    this.#dispatch(frame.id, frame.method, frame.params);
  }

  async #dispatch(id: FrameId, method: string, params: unknown): Promise<void> {
    const controller = new AbortController();
    (this.#inflight ??= new Set()).add(controller);
    try {
      const ctx = this.#deps.context(this, controller.signal);
      const payload = await this.#deps.dispatcher.dispatch(method, params, ctx);
      this.#reply(id, payload ?? {});
    } catch (error) {
      const shape = isGatewayError(error)
        ? (error as GatewayError).toShape?.() ?? { code: error.code, message: error.message }
        : { code: ErrorCode.INTERNAL_ERROR, message: `Internal error in ${method}` };
      this.#fail(id, shape);
    } finally {
      this.#inflight?.delete(controller);
    }
  }

  async #connect(id: FrameId, rawParams: unknown): Promise<void> {
    const deps = this.#deps;
    try {
      if (!this.local) deps.authLimiter.check(this.address);
    } catch (error) {
      this.#fail(id, (error as GatewayError).toShape());
      this.close(CloseCode.policyViolation, "rate limited");
      return;
    }
    const parsed = (await connectContract()).params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      const text = parsed.error.issues.map((i) => `${i.path.join(".") || "<params>"}: ${i.message}`)
        .join("; ");
      this.#fail(id, {
        code: ErrorCode.INVALID_PARAMS,
        message: `Invalid params for connect: ${text}`,
      });
      this.close(CloseCode.policyViolation, "invalid connect");
      return;
    }
    const params = parsed.data;
    const min = params.minProtocol ?? PROTOCOL.min;
    const max = params.maxProtocol ?? PROTOCOL.max;
    if (min > max || max < PROTOCOL.min || min > PROTOCOL.max) {
      this.#fail(id, {
        code: ErrorCode.INVALID_PARAMS,
        message:
          `Protocol mismatch: client speaks ${min}..${max}, server speaks ${PROTOCOL.min}..${PROTOCOL.max}`,
        details: {
          reason: "protocol_mismatch",
          server: { min: PROTOCOL.min, max: PROTOCOL.max },
          client: { min, max },
        },
      });
      this.close(CloseCode.protocolError, "protocol mismatch");
      return;
    }
    try {
      const credential = await verifyCredentials(deps.auth(), params.auth, deps.extraCredential);
      this.credential = credential.kind;
      this.deviceId = credential.deviceId;
    } catch (error) {
      if (!this.local) deps.authLimiter.fail(this.address);
      deps.logger.warn("authentication failed", {
        address: this.address,
        clientName: params.clientName,
      });
      this.#fail(id, (error as GatewayError).toShape());
      this.close(CloseCode.policyViolation, "authentication failed");
      return;
    }
    if (this.#state !== "connecting") return; // closed while verifying
    clearTimeout(this.#timer);
    // A cleared timer object (with its callback and arguments) would stay for the connection's
    // life otherwise.
    this.#timer = undefined;
    this.protocol = Math.min(max, PROTOCOL.max);
    this.clientName = params.clientName || "unknown";
    this.wantsAllEvents = params.events === "all";
    this.#state = "open";
    this.#reply(id, {
      protocol: this.protocol,
      server: { name: PACKAGE_NAME, version: VERSION },
      connId: this.id,
    });
    deps.onAuthenticated(this);
  }

  #takeToken(): boolean {
    const { requestsPerSecond, requestBurst } = this.#deps.config().gateway.limits;
    const now = performance.now();
    this.#tokens = Math.min(
      requestBurst,
      this.#tokens + ((now - this.#lastRefill) / 1000) * requestsPerSecond,
    );
    this.#lastRefill = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** The socket closed or failed. */
  #socketClosed(): void {
    if (!this.#socketOpen) return;
    if (this.#state !== "closed") {
      this.#socketOpen = false;
      this.#closed();
      return;
    }
    this.letGoOfSocket();
  }

  #closed(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const controller of this.#inflight ?? []) controller.abort();
    this.#inflight = undefined;
    this.#deps.onClose(this);
  }
}
