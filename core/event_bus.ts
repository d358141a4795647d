/**
 * @module The in-process event bus: services publish the catalogue's events (`core/protocol/
 * events.ts`), the WebSocket layer and others listen. Names and payloads are typed from the
 * catalogue, so an unknown event or a wrong payload does not compile.
 */

import type { EventName, EventPayload } from "./protocol/events.ts";

/** A published event: its name in the catalogue, its payload, and where it goes. */
export type BusEvent = {
  [E in EventName]: {
    event: E;
    payload: EventPayload<E>;
    /**
     * A session's event ({@linkcode sessionKeyOf}): delivered to the clients watching that
     * session and those that asked for every event. Absent: delivered to every client.
     */
    sessionKey?: string;
  };
}[EventName];

/**
 * The key that routes a session's events.
 *
 * @example
 * ```ts
 * sessionKeyOf("main", "telegram-42"); // "main/telegram-42", the third argument of `publish`
 * ```
 */
export function sessionKeyOf(agentId: string, sessionId: string): string {
  return `${agentId}/${sessionId}`;
}

export type BusListener = (event: BusEvent) => void;

/** Publishes one event of the catalogue (the bus's `publish`, passed around as a function). */
export type EventPublisher = <E extends EventName>(
  event: E,
  payload: EventPayload<E>,
  sessionKey?: string,
) => void;

/** A synchronous fan-out bus. A failing listener never stops the others. */
export class EventBus {
  #listeners = new Set<BusListener>();

  /** Subscribes to every event; returns the unsubscribe function. */
  subscribe(listener: BusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Hands `payload` as event `event` to every listener, in the order they subscribed; with a
   * `sessionKey` ({@linkcode sessionKeyOf}), to that session's clients only.
   */
  publish<E extends EventName>(event: E, payload: EventPayload<E>, sessionKey?: string): void {
    const published = { event, payload, sessionKey } as BusEvent;
    for (const listener of this.#listeners) {
      try {
        listener(published);
      } catch (error) {
        console.error("event listener failed:", error);
      }
    }
  }

  get size(): number {
    return this.#listeners.size;
  }
}
