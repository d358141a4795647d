/** @module The small transport interface that protocol framing runs over, and an in-memory pair. */

/** A bidirectional text channel: a WebSocket, or an in-memory link in tests. */
export interface Transport {
  send(text: string): void;
  close(code?: number, reason?: string): void;
  /** Bytes queued but not yet sent (0 where the transport cannot tell). */
  readonly bufferedAmount: number;
  onmessage?: (text: string) => void;
  onclose?: (code: number, reason: string) => void;
}

/** Adapts a WebSocket (server or client side) to a {@linkcode Transport}. */
export function webSocketTransport(socket: WebSocket): Transport {
  const transport: Transport = {
    send: (text) => socket.send(text),
    close: (code, reason) => {
      try {
        socket.close(code, reason);
      } catch { /* already closing */ }
    },
    get bufferedAmount() {
      return socket.bufferedAmount;
    },
  };
  socket.onmessage = (event) => {
    const text = typeof event.data === "string" ? event.data : undefined;
    // Binary frames are not part of the protocol; hand over a marker the parser rejects.
    transport.onmessage?.(text ?? "\u0000binary");
  };
  socket.onclose = (event) => transport.onclose?.(event.code, event.reason);
  return transport;
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
