/**
 * @module One timer for every upstream call's idle timeout. A call counts the chunks that arrive;
 * the shared timer looks at the counts a few times per timeout, notes when each last moved, and
 * aborts the calls that stayed quiet for their whole timeout. A timer armed and cleared per call
 * cost each `/v1` request two timer operations (about 30 µs of the gateway's time in a profile,
 * issue 17), and reading the clock on every chunk another microsecond or so; now a steady stream of
 * requests costs neither, and the timer sleeps while no call is open.
 */

/** A watched call. */
export interface IdleWatch {
  /** Chunks seen; add one whenever bytes arrive. */
  activity: number;
  readonly timeoutMs: number;
  /** Called once, when the call stayed idle for at least `timeoutMs`. */
  readonly onIdle: () => void;
}

/** `activity` when last looked at, and when that was (performance.now() ms). */
interface Seen {
  seen: number;
  since: number;
}

/**
 * How often, per timeout, the timer looks: a call is aborted between 1 and 1 + 1/CHECKS times its
 * timeout after its last chunk.
 */
const CHECKS = 4;

const watched = new Map<IdleWatch, Seen>();
let timer: ReturnType<typeof setTimeout> | undefined;
/** When the armed timer fires (performance.now() ms); Infinity when none is armed. */
let timerAt = Infinity;

/** Starts watching a call, idle from now. Stop with {@linkcode unwatchIdle}. */
export function watchIdle(timeoutMs: number, onIdle: () => void): IdleWatch {
  const watch: IdleWatch = { activity: 0, timeoutMs, onIdle };
  const now = performance.now();
  watched.set(watch, { seen: 0, since: now });
  armAt(now + timeoutMs / CHECKS);
  return watch;
}

/** Stops watching; the shared timer stays armed for the calls that follow, or lapses. */
export function unwatchIdle(watch: IdleWatch): void {
  watched.delete(watch);
}

function armAt(at: number): void {
  if (at >= timerAt) return;
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  const armed = setTimeout(sweep, Math.max(0, at - performance.now()));
  // Waiting calls keep the process alive by themselves; the timer alone must not (a CLI run
  // would otherwise linger after its answer).
  Deno.unrefTimer(armed);
  timer = armed;
}

function sweep(): void {
  timer = undefined;
  timerAt = Infinity;
  const now = performance.now();
  let next = Infinity;
  for (const [watch, entry] of watched) {
    if (watch.activity !== entry.seen) {
      entry.seen = watch.activity;
      entry.since = now;
    } else if (now - entry.since >= watch.timeoutMs) {
      watched.delete(watch);
      watch.onIdle();
      continue;
    }
    next = Math.min(next, Math.min(entry.since + watch.timeoutMs, now + watch.timeoutMs / CHECKS));
  }
  if (next < Infinity) armAt(next);
}
