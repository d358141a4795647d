/**
 * @module System events (`system.event`): short texts queued for the agent's next turn or
 * heartbeat, and the record of the last heartbeat.
 */

/** When a queued system event reaches the agent. */
export type SystemEventMode = "now" | "next-heartbeat";

export interface SystemEvent {
  text: string;
  mode: SystemEventMode;
  time: string;
}

/** A bounded queue of pending system events. */
export class SystemEventQueue {
  #events: SystemEvent[] = [];
  #limit: number;
  lastHeartbeatAt: string | null = null;

  constructor(limit = 100) {
    this.#limit = limit;
  }

  enqueue(text: string, mode: SystemEventMode): SystemEvent {
    const event = { text, mode, time: new Date().toISOString() };
    this.#events.push(event);
    if (this.#events.length > this.#limit) this.#events.shift();
    return event;
  }

  /** Takes every pending event, oldest first. */
  drain(): SystemEvent[] {
    const events = this.#events;
    this.#events = [];
    return events;
  }

  get pending(): readonly SystemEvent[] {
    return this.#events;
  }
}
