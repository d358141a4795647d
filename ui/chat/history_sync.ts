/**
 * @module When the chat screen reads its session's history again. The screen shows the history
 * it read, advanced by the open session's `chat.*` events; two gaps can leave it short of what
 * the session holds, and a run's `chat.done` (sent once the run's messages are in the session
 * file, agent/run.ts) is when it reads the history again:
 * - events that came while a history read was on its way: the read may be older than they are,
 *   and its answer, which replaces what they showed, lacks them;
 * - a run whose answer text never came (streamed while the screen was away, on the Approvals
 *   screen for instance).
 * An answer to an earlier read, come after a later one was asked for, is dropped.
 */

import type { EventName } from "../../core/protocol/events.ts";

export class HistorySync {
  #load = 0;
  #loading = false;
  #crossed = false;
  #sawText = false;

  /** A read of the history starts; its number goes to {@linkcode settled} with its answer. */
  start(): number {
    this.#loading = true;
    return ++this.#load;
  }

  /** Whether the answer of read `load` is to be shown: only the latest read's is. */
  settled(load: number): boolean {
    if (load !== this.#load) return false;
    this.#loading = false;
    return true;
  }

  /** The screen opens another session (or leaves): reads on their way are dropped. */
  reset(): void {
    this.#load++;
    this.#loading = false;
    this.#crossed = false;
    this.#sawText = false;
  }

  /** An event of the open session came; true when the history is to be read again now. */
  event(name: EventName): boolean {
    if (this.#loading) this.#crossed = true;
    if (name === "chat.delta") this.#sawText = true;
    if (name !== "chat.done") return false;
    const gap = this.#crossed || !this.#sawText;
    this.#crossed = false;
    this.#sawText = false;
    return gap;
  }
}
