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

/** A watch with its bookkeeping: `activity` when last looked at, when that was, and its place. */
interface Watched extends IdleWatch {
  seen: number;
  /** performance.now() ms. */
  since: number;
  /** Its index in {@linkcode watched}; -1 once no longer watched. */
  at: number;
}

/**
 * How often, per timeout, the timer looks: a call is aborted between 1 and 1 + 1/CHECKS times its
 * timeout after its last chunk.
 */
const CHECKS = 4;

/**
 * The calls watched, each leaving by taking the last one's place: a Map's set and delete on every
 * call made and dropped its table as it went from empty to one and back (issue 17, garbage per
 * `/v1` request).
 */
const watched: Watched[] = [];
let timer: ReturnType<typeof setTimeout> | undefined;
/** When the armed timer fires (performance.now() ms); Infinity when none is armed. */
let timerAt = Infinity;

/** Starts watching a call, idle from now. Stop with {@linkcode unwatchIdle}. */
export function watchIdle(timeoutMs: number, onIdle: () => void): IdleWatch {
  const now = performance.now();
  const watch: Watched = {
    activity: 0,
    timeoutMs,
    onIdle,
    seen: 0,
    since: now,
    at: watched.length,
  };
  watched.push(watch);
  armAt(now + timeoutMs / CHECKS);
  return watch;
}

/**
 * Stops watching (again is fine); the shared timer stays armed for the calls that follow, or
 * lapses.
 */
export function unwatchIdle(watch: IdleWatch): void {
  const entry = watch as Watched;
  if (entry.at < 0) return;
  const last = watched.pop()!;
  if (last !== entry) {
    watched[entry.at] = last;
    last.at = entry.at;
  }
  entry.at = -1;
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
  // A copy: an aborted call's handlers may stop watching others (or start new ones) meanwhile.
  for (const watch of watched.slice()) {
    if (watch.at < 0) continue;
    if (watch.activity !== watch.seen) {
      watch.seen = watch.activity;
      watch.since = now;
    } else if (now - watch.since >= watch.timeoutMs) {
      unwatchIdle(watch);
      watch.onIdle();
      continue;
    }
    next = Math.min(next, Math.min(watch.since + watch.timeoutMs, now + watch.timeoutMs / CHECKS));
  }
  if (next < Infinity) armAt(next);
}
