/** @module The small transport interface that protocol framing runs over, and an in-memory pair. */

/** A bidirectional text channel: a WebSocket, or an in-memory link in tests. */
export interface Transport {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet sent (0 where the transport cannot tell). */
  readonly bufferedAmount: number;
  onmessage?: (text: string) => void;
  onclose?: (code: number, reason: string) => void;
  /**
   * True when `close` was called before the socket opened (a WebSocket whose upgrade had not
   * completed): such a socket may never report its end (see `Connection.whenSocketGone`).
   */
  readonly closedBeforeOpen?: boolean;
}

/** Adapts a WebSocket (server or client side) to a {@linkcode Transport}. */
export function webSocketTransport(socket: WebSocket): Transport {
  return new WebSocketTransport(socket);
}

/**
 * One object per socket whose methods are shared, and which is itself the socket's listener
 * (`handleEvent`): a gateway holds one per connected client, and closures per socket (an object
 * of arrow functions, `onmessage`/`onclose` handlers and Deno's wrappers of those) cost about
 * 0.4 KB each (scripts/bench/connection_heap.ts).
 */
class WebSocketTransport implements Transport, EventListenerObject {
  onmessage?: (text: string) => void;
  onclose?: (code: number, reason: string) => void;
  closedBeforeOpen = false;
  #socket: WebSocket;

  constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener("message", this);
    socket.addEventListener("close", this);
    // A server socket whose upgrade fails after the handler answered reports only `error`.
    socket.addEventListener("error", this);
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }

  send(text: string): void {
    this.#socket.send(text);
  }

  close(code?: number, reason?: string): void {
    const socket = this.#socket;
    if (socket.readyState === WebSocket.CONNECTING) {
      this.closedBeforeOpen = true;
      // Deno (2.9.6) marks a server socket closed before its upgrade completed as closing and
      // sends nothing, then opens it all the same once the upgrade completes: close it then.
      // Opened, it waits for the client's answer to its close frame like any other socket.
      socket.addEventListener("open", () => {
        this.closedBeforeOpen = false;
        this.close(code, reason);
      }, { once: true });
    }
    try {
      socket.close(code, reason);
    } catch { /* already closing */ }
  }

  handleEvent(event: Event): void {
    if (event.type === "message") {
      const { data } = event as MessageEvent;
      // Binary frames are not part of the protocol; hand over a marker the parser rejects.
      this.onmessage?.(typeof data === "string" ? data : "\u0000binary");
    } else {
      // "close", or "error": the socket is closed for good (Deno dispatches `close` after it,
      // except for a server socket whose upgrade failed, which gets nothing more).
      const { code, reason } = event.type === "close"
        ? event as CloseEvent
        : { code: 1006, reason: (event as ErrorEvent).message ?? "" };
      const onclose = this.onclose;
      // Deno keeps a closed server socket for up to half its idleTimeout (its ping timer, ~60 s
      // with the gateway's 120, is not cleared on close), and the socket keeps its listeners:
      // letting go of ours frees the connection and all it holds when it closes.
      this.#socket.removeEventListener("message", this);
      this.#socket.removeEventListener("close", this);
      this.#socket.removeEventListener("error", this);
      this.onmessage = this.onclose = undefined;
      onclose?.(code, reason);
    }
  }
}

/** Two transports linked to each other, for fast in-process tests. */
export function createLinkedPair(): [Transport, Transport] {
  let closed = false;
  const make = (): Transport => ({
    send(text) {
      if (closed) return;
      queueMicrotask(() => peer(this).onmessage?.(text));
    },
    close(code = 1000, reason = "") {
      if (closed) return;
      closed = true;
      queueMicrotask(() => {
        a.onclose?.(code, reason);
        b.onclose?.(code, reason);
      });
    },
    bufferedAmount: 0,
  });
  const a = make();
  const b = make();
  const peer = (side: Transport) => (side === a ? b : a);
  return [a, b];
}
