/** @module The in-process event bus: services publish, the WebSocket layer and others listen. */

/** A published event: a name from the spec (`chat.delta`, …) or an internal one, and a payload. */
export interface BusEvent {
  event: string;
  payload: unknown;
  /** Deliver only to this connection (e.g. the one that asked for a chat). */
  connId?: string;
  /** Deliver only to connections of this session. */
  sessionKey?: string;
}

export type BusListener = (event: BusEvent) => void;

/** A synchronous fan-out bus. A failing listener never stops the others. */
export class EventBus {
  #listeners = new Set<BusListener>();

  /** Subscribes to every event; returns the unsubscribe function. */
  subscribe(listener: BusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  publish(event: BusEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error("event listener failed:", error);
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }
}
