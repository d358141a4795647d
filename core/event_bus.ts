/** @module The in-process event bus: services publish, the WebSocket layer and others listen. */

/** A published event: a name from the spec (`chat.delta`, …) or an internal one, and a payload. */
export interface BusEvent {
  event: string;
  payload: unknown;
  /**
   * A session's event ({@linkcode sessionKeyOf}): delivered to the clients watching that
   * session and those that asked for every event. Absent: delivered to every client.
   */
  sessionKey?: string;
}

/** What every event of a session carries, so clients can tell sessions apart. */
export interface SessionEventPayload {
  agentId: string;
  sessionId: string;
  [field: string]: unknown;
}

/**
 * The key that routes a session's events.
 *
 * @example
 * ```ts
 * bus.publish({ event: "chat.delta", payload, sessionKey: sessionKeyOf("main", "main") });
 * ```
 */
export function sessionKeyOf(agentId: string, sessionId: string): string {
  return `${agentId}/${sessionId}`;
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
