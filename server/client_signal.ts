/**
 * @module The signal an HTTP route gets for its client going away, tied to Deno's own late.
 * Reading `request.signal` starts a watch in Deno's HTTP server (an async op per request,
 * `op_http_request_on_cancel`), which cost every `/v1` request ~15 us of added time (issue 17),
 * yet only a request that lasts can usefully be cut short when its client leaves. So a route
 * gets a signal of its own at once, and the client's is read only for requests still open a tick
 * or two later ({@linkcode CLIENT_TICK_MS}): one whose client left meanwhile is aborted then,
 * as Deno reports a client that left before the watch began at once. A request whose route has
 * answered (or failed) is no longer watched: the route's work is done. Deno's `completed` promise
 * told that once, a promise and its reactions on every request (issue 17). A streamed answer
 * ({@linkcode streamedAnswer}) is tied at once when the route returns it: its client may leave
 * while the stream waits on the upstream, and only the signal then ends the upstream call (the
 * stream's cancel waits behind the read in progress).
 */

/**
 * How often open requests are looked at: a request is tied to its client between one and two
 * ticks after it came, so an upstream call outlives a client that left by at most that.
 */
export const CLIENT_TICK_MS = 250;

interface Watched {
  request: Request;
  controller: AbortController;
  /** The list it is in (undefined once no longer watched), and where. */
  list: Watched[] | undefined;
  at: number;
  /** Its route has neither answered nor failed yet. */
  unanswered: boolean;
}

/**
 * Requests that came since the last tick, and those that were already open at it: lists a
 * request leaves by taking the last one's place. A Set's add and delete on every request made
 * and dropped its table as it went from empty to one and back (issue 17, garbage per request).
 */
let young: Watched[] = [];
let old: Watched[] = [];
let armed = false;
/** Requests whose route has neither answered nor failed yet, on the lists or not. */
let unanswered = 0;

/** Takes `watched` out of its list; false when it was in none. */
function unlist(watched: Watched): boolean {
  const list = watched.list;
  if (list === undefined) return false;
  const last = list.pop()!;
  if (last !== watched) {
    list[watched.at] = last;
    last.at = watched.at;
  }
  watched.list = undefined;
  return true;
}

/** A request's client watch: the route's signal, and what to do once the route answered. */
export interface ClientWatch {
  /** Aborted when the client goes away (with Deno's reason). */
  readonly signal: AbortSignal;
  /**
   * Notes the route's answer: a streamed one is tied to its client now, and the watch of any
   * other ends (its body is whole; Deno sends it, or stops when the client goes).
   */
  answered(response: Response): Response;
  /** Ends the watch of a request its route did not answer (it threw, or its body was refused). */
  forget(): void;
}

const streamed = new WeakSet<Response>();

/** Marks `response` as a stream, whose request stays tied to its client until the stream ends. */
export function streamedAnswer(response: Response): Response {
  streamed.add(response);
  return response;
}

/**
 * Watches `request`'s client until its route answers ({@linkcode ClientWatch.answered}) or
 * fails ({@linkcode ClientWatch.forget}).
 */
export function watchClient(request: Request): ClientWatch {
  const controller = new AbortController();
  const watched: Watched = {
    request,
    controller,
    list: young,
    at: young.length,
    unanswered: true,
  };
  young.push(watched);
  if (!armed) arm();
  unanswered++;
  return {
    signal: controller.signal,
    answered(response) {
      settle(watched);
      if (unlist(watched) && streamed.has(response)) tie(watched);
      return response;
    },
    forget() {
      settle(watched);
      unlist(watched);
    },
  };
}

/** Counts `watched`'s route as done (once, however often it is told). */
function settle(watched: Watched): void {
  if (watched.unanswered) {
    watched.unanswered = false;
    unanswered--;
  }
}

/**
 * Requests whose route has neither answered nor failed yet, however long ago they came (a
 * streamed answer counts as answered once its route returned it).
 */
export function requestsUnanswered(): number {
  return unanswered;
}

/** Requests still on the lists: neither answered nor yet tied to their client by a tick. */
export function requestsWatched(): number {
  return young.length + old.length;
}

function arm(): void {
  armed = true;
  // Open requests keep the process alive by themselves; the tick alone must not.
  Deno.unrefTimer(setTimeout(tick, CLIENT_TICK_MS));
}

/** Ties the requests open for a whole tick to their clients; the younger ones wait a tick. */
function tick(): void {
  armed = false;
  const due = old;
  // This tick's young are next tick's old (their entries point at the list, which moves whole).
  old = young;
  young = [];
  for (const watched of due) {
    watched.list = undefined;
    tie(watched);
  }
  if (old.length) arm();
}

function tie({ request, controller }: Watched): void {
  const signal = request.signal;
  if (signal.aborted) controller.abort(signal.reason);
  else signal.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
}
