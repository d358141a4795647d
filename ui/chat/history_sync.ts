/**
 * @module When the chat screen reads its session's history again. The screen shows the history
 * it read, advanced by the open session's `chat.*` events; two gaps can leave it short of what
 * the session holds, and the end of a run (`chat.done`, or `chat.error`: the run's messages are
 * in the session file by then, agent/run.ts) is when it reads the history again:
 * - events that came while a history read was on its way: the read may be older than they are,
 *   and its answer, which replaces what they showed, lacks them;
 * - a history that ended in the middle of a run (read on coming back from the Approvals screen,
 *   say): what the run streamed before the screen listened is in neither.
 * A run the screen saw whole from a finished history is not read again: the files it sent
 * (`chat.file`) are on the screen and not in the history. An answer to an earlier read, come
 * after a later one was asked for, is dropped.
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

  /** An event of the open session came; true when the history is to be read again now. */
  event(name: EventName): boolean {
    if (this.#loading) this.#crossed = true;
    if (name !== "chat.done" && name !== "chat.error") return false;
    const gap = this.#crossed || this.#midRun;
    this.#crossed = false;
    this.#midRun = false;
    return gap;
  }
}

/**
 * Whether a session's history ends in the middle of a run: a run appends the user's message,
 * then each tool call and result as they come, and its answer last, so a history that ends on
 * the user's message, a tool's result or a call for tools has a run under way (or one that
 * stopped with the gateway).
 */
export function endsMidRun(messages: HistoryMessage[]): boolean {
  const last = messages.findLast((message) =>
    message.role === "user" || message.role === "assistant" || message.role === "tool"
  );
  if (!last || last.role === "assistant" && (last.error || last.aborted)) return false;
  return last.role !== "assistant" || (last.toolCalls?.length ?? 0) > 0;
}
