/**
 * @module When the chat screen reads its session's history again. The screen shows the history
 * it read, advanced by the open session's `chat.*` events; two gaps can leave it short of what
 * the session holds, and the end of a run (`chat.done`: the run's messages are in the session
 * file by then, agent/run.ts) is when it reads the history again:
 * - events that came while a history read was on its way: the read may be older than they are,
 *   and its answer, which replaces what they showed, lacks them;
 * - a history that ended in the middle of a run (read on coming back from the Approvals screen,
 *   say): what the run streamed before the screen listened is in neither.
 * A run the screen saw whole from a finished history is not read again: the files it sent
 * (`chat.file`) are on the screen and not in the history. Nor is one that failed (`chat.error`)
 * or was stopped: a failure or a stop before any text leaves no line in the session, and the
 * screen's note of it would go. An answer to an earlier read, come after a later one was asked
 * for, is dropped.
 */

import type { EventName } from "../../core/protocol/events.ts";
import type { HistoryMessage } from "./chat_items.ts";

export class HistorySync {
  #load = 0;
  #loading = false;
  #crossed = false;
  #midRun = false;

  /** A read of the history starts; its number goes to {@linkcode settled} with its answer. */
  start(): number {
    this.#loading = true;
    return ++this.#load;
  }

  /**
   * Whether the answer of read `load` is to be shown: only the latest read's is.
   * @param midRun the history it read ends in the middle of a run ({@linkcode endsMidRun})
   */
  settled(load: number, midRun = false): boolean {
    if (load !== this.#load) return false;
    this.#loading = false;
    this.#midRun = midRun;
    return true;
  }

  /** The screen opens another session (or leaves): reads on their way are dropped. */
  reset(): void {
    this.#load++;
    this.#loading = false;
    this.#crossed = false;
    this.#midRun = false;
  }

  /**
   * An event of the open session came; true when the history is to be read again now.
   * @param stopped a `chat.done` of a run cut short (its payload's `aborted`)
   */
  event(name: EventName, stopped = false): boolean {
    if (this.#loading) this.#crossed = true;
    if (name !== "chat.done" && name !== "chat.error") return false;
    const gap = this.#crossed || this.#midRun;
    this.#crossed = false;
    this.#midRun = false;
    return gap && name === "chat.done" && !stopped;
  }
}

/**
 * Whether a session's history ends in the middle of a run: a run appends the user's message,
 * then each call for tools and each result as they come, and its answer last, so a history that
 * ends on the user's message, a tool's result or a call for tools has a run under way. Or one
 * that failed or was stopped before any text, which leaves no line of its end: the next run's
 * end then reads the history once more than it needed to.
 */
export function endsMidRun(messages: HistoryMessage[]): boolean {
  const last = messages.findLast((message) =>
    message.role === "user" || message.role === "assistant" || message.role === "tool"
  );
  if (!last) return false;
  return last.role !== "assistant" || (last.toolCalls?.length ?? 0) > 0;
}
