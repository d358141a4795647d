/**
 * @module Time as a service: what the scheduling services (cron, heartbeat) read the time from
 * and arm their timers on. The gateway uses {@linkcode systemClock}; tests give those services a
 * manual clock and move time on themselves, so a test of "runs every second" takes no seconds and
 * never races the machine's load.
 */

/** A timer armed on a {@linkcode Clock}; only that clock's `clearTimeout` understands it. */
export type ClockTimer = number | object;

/** Where a service reads the time and arms its timers. */
export interface Clock {
  /** Milliseconds since the epoch, as `Date.now()`. */
  now(): number;
  /** Calls `callback` once, after `delayMs` milliseconds of this clock's time. */
  setTimeout(callback: () => void, delayMs: number): ClockTimer;
  /** Cancels a timer armed on this clock; undefined or an already fired timer is ignored. */
  clearTimeout(timer: ClockTimer | undefined): void;
}

/**
 * The machine's clock and the platform's timers.
 *
 * @example
 * ```ts
 * const timer = systemClock.setTimeout(() => console.log("later"), 1_000);
 * systemClock.clearTimeout(timer);
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, delayMs: number) => setTimeout(callback, delayMs),
  // Nothing to clear is not passed on: the global clearTimeout is Node's, whose first call loads
  // Deno's Node timers (~2 MB of an idle gateway's memory), and the services clear their unarmed
  // timer at start (core/web_timeout.ts).
  clearTimeout: (timer: ClockTimer | undefined) => {
    if (timer !== undefined) clearTimeout(timer as number);
  },
});
