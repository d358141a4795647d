/**
 * @module A clock that moves only when a test says so, for the services that take a
 * {@linkcode Clock} (cron, heartbeat, approvals). Built on `@sinonjs/fake-timers` without
 * installing it globally: the rest of the process (sockets, the stand-in servers, `waitFor`)
 * keeps the real timers.
 *
 * @example
 * ```ts
 * const clock = new ManualClock();
 * await using gw = await startInProcessGateway({ clock });
 * await clock.advance(1_000); // fires what was due within the second, in order
 * ```
 */

import { type Clock as FakeClock, type TimerId, withGlobal } from "@sinonjs/fake-timers";
import type { Clock, ClockTimer } from "../../core/clock.ts";

/** A {@linkcode Clock} whose time stands still until {@linkcode ManualClock.advance}. */
export class ManualClock implements Clock {
  #fake: FakeClock;

  /** @param start the time it reads at first (ms since the epoch) @default Date.now() */
  constructor(start: number = Date.now()) {
    this.#fake = withGlobal(globalThis).createClock(start);
  }

  now(): number {
    return this.#fake.now;
  }

  setTimeout(callback: () => void, delayMs: number): ClockTimer {
    return this.#fake.setTimeout(callback, delayMs) as ClockTimer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    this.#fake.clearTimeout(timer as TimerId);
  }

  /** Timers armed and not yet fired. */
  get pending(): number {
    return this.#fake.countTimers();
  }

  /**
   * Moves time on by `ms`, firing each timer that comes due, in order, at its own time; pending
   * promise callbacks run between timers, so a timer armed by an earlier one fires too when due.
   */
  async advance(ms: number): Promise<void> {
    await this.#fake.tickAsync(ms);
  }

  /**
   * Moves time to the next timer and fires it (and any due at the same moment).
   *
   * @returns the time it moved to, or undefined when no timer is armed (time stays)
   */
  async next(): Promise<number | undefined> {
    if (this.pending === 0) return undefined;
    await this.#fake.nextAsync();
    return this.#fake.now;
  }
}
