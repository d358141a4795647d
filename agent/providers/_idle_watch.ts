/**
 * @module One timer for every upstream call's idle timeout. A call notes the time when bytes
 * arrive; the shared timer wakes at the earliest deadline, aborts the calls that stayed idle and
 * sleeps until the next. A timer armed and cleared per call cost each `/v1` request two timer
 * operations (about 30 µs of the gateway's time in a profile, issue 17); with one shared timer a
 * steady stream of requests arms it about once per timeout period.
 */

/** A watched call: idle since `last` (performance.now() ms), aborted after `timeoutMs`. */
export interface IdleWatch {
  /** When bytes last arrived; set it on every chunk. */
  last: number;
  readonly timeoutMs: number;
  /** Called once, when the call stayed idle for `timeoutMs`. */
  readonly onIdle: () => void;
}

const watched = new Set<IdleWatch>();
let timer: ReturnType<typeof setTimeout> | undefined;
/** When the armed timer fires (performance.now() ms); Infinity when none is armed. */
let timerAt = Infinity;

/** Starts watching a call whose last activity is now. Stop with {@linkcode unwatchIdle}. */
export function watchIdle(timeoutMs: number, onIdle: () => void): IdleWatch {
  const watch: IdleWatch = { last: performance.now(), timeoutMs, onIdle };
  watched.add(watch);
  armAt(watch.last + timeoutMs);
  return watch;
}

/** Stops watching; the shared timer stays armed for the calls that follow. */
export function unwatchIdle(watch: IdleWatch): void {
  watched.delete(watch);
}

function armAt(at: number): void {
  if (at >= timerAt) return;
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  const armed = setTimeout(sweep, Math.max(0, at - performance.now()));
  // Waiting calls keep the process alive by themselves; the timer alone must not (a CLI run
  // would otherwise linger for the rest of the timeout after its answer).
  Deno.unrefTimer(armed);
  timer = armed;
}

function sweep(): void {
  timer = undefined;
  timerAt = Infinity;
  const now = performance.now();
  let next = Infinity;
  for (const watch of watched) {
    const deadline = watch.last + watch.timeoutMs;
    if (deadline <= now) {
      watched.delete(watch);
      watch.onIdle();
    } else if (deadline < next) {
      next = deadline;
    }
  }
  if (next < Infinity) armAt(next);
}
