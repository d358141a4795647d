/**
 * @module When the chat screen reads its session's history again. The screen shows the history
 * it read, advanced by the open session's `chat.*` events; these can leave it short of what the
 * session holds, and the end of a run (`chat.done`: the run's messages are in the session file by
 * then, agent/run.ts) is when it reads the history again:
 * - a run this screen did not start (another tab, the CLI, a channel, cron): its events stream
 *   the answer, but the message that started it is only in the session;
 * - events that came while a history read was on its way: the read may be older than they are,
 *   and its answer, which replaces what they showed, lacks them;
 * - a history that ended in the middle of a run (read on coming back from the Approvals screen,
 *   say): what the run streamed before the screen listened is in neither.
 * A run this screen started and saw whole from a finished history is not read again: the files
 * it sent (`chat.file`) are on the screen and not in the history. Nor is any run that failed
 * (`chat.error`) or was stopped: a failure or a stop before any text leaves no line in the
 * session, and the screen's note of it would go. An answer to an earlier read, come after a
 * later one was asked for, is dropped.
 *
 * The screen's own run is the one its `chat.send` (`chat.resend`, `chat.edit`) asked for. That
 * request is answered only after the run's last event, and a session runs one turn at a time
 * (agent/chat_service.ts), so a run that ends while no request of the screen's is on its way is
 * another's; one that ends while it is (another's run that was under way when the screen sent, and
 * the screen's own waited for it) is told from the screen's own by counting: the screen's own run
 * ends once, last, when it ran at all.
 *
 * Words another session's agent posts into this one (`chat.message`) come with no run: they are
 * in the session before their event is sent, so only a read on its way when they came is read
 * again, at once.
 */

import type { EventName } from "../../core/protocol/events.ts";
import type { HistoryMessage } from "./chat_items.ts";

/** A run request of this screen's on its way, and the runs that ended meanwhile. */
interface OwnRequest {
  id: number;
  ends: number;
  /** Whether the last of them ended with a `chat.done` that was not stopped. */
  lastKept: boolean;
}

export class HistorySync {
  #load = 0;
  #loading = false;
  #crossed = false;
  #midRun = false;
  #requests = 0;
  #own: OwnRequest | undefined;

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
    this.#own = undefined;
  }

  /**
   * This screen asks for a run (`chat.send`, `chat.resend`, `chat.edit`); the number goes to
   * {@linkcode answered} with the request's answer.
   */
  request(): number {
    this.#own = { id: ++this.#requests, ends: 0, lastKept: false };
    return this.#own.id;
  }

  /**
   * Request `id` was answered; true when the history is to be read again now: another's run
   * ended while it was on its way, and the last run to end (this screen's own, when it ran) was
   * neither stopped nor failed.
   * @param ran the request was answered with the run's outcome (so its run ended, last), not
   * refused before it ran
   */
  answered(id: number, ran: boolean): boolean {
    const own = this.#own;
    if (own?.id !== id) return false;
    this.#own = undefined;
    return own.ends > (ran ? 1 : 0) && own.lastKept;
  }

  /**
   * An event of the open session came; true when the history is to be read again now.
   * @param stopped a `chat.done` of a run cut short (its payload's `aborted`)
   */
  event(name: EventName, stopped = false): boolean {
    if (name === "chat.message") return this.#loading;
    if (this.#loading) this.#crossed = true;
    if (name !== "chat.done" && name !== "chat.error") return false;
    const kept = name === "chat.done" && !stopped;
    const gap = this.#crossed || this.#midRun;
    this.#crossed = false;
    this.#midRun = false;
    if (!this.#own) return kept;
    this.#own.ends++;
    this.#own.lastKept = kept;
    return gap && kept;
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
