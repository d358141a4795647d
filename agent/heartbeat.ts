/**
 * @module The heartbeat: while `agents.defaults.heartbeat.enabled`, an agent turn every
 * `heartbeat.every` (such as `30m`) in the main agent's `heartbeat` session, so the agent can act
 * on queued system events without a user message. A `system.event` with mode `now` brings the
 * next beat forward. Each completed beat is recorded as `system.heartbeat.last`.
 */

import { type Clock, type ClockTimer, systemClock } from "../core/clock.ts";
import type { Logger } from "../core/logger.ts";
import type { SystemEventQueue } from "./system_events.ts";

/** The config section the scheduler reads at each beat. */
export interface HeartbeatSettings {
  enabled: boolean;
  every: string;
  prompt?: string;
}

/** Options for {@linkcode HeartbeatScheduler}. */
export interface HeartbeatOptions {
  settings: () => HeartbeatSettings;
  /** Runs one turn with `message`; resolves with the answer. */
  run: (message: string, signal: AbortSignal) => Promise<string>;
  systemEvents: SystemEventQueue;
  logger: Logger;
  /** Where the time and the timer come from (tests pass a manual clock). @default systemClock */
  clock?: Clock;
}

export const DEFAULT_HEARTBEAT_PROMPT =
  "Heartbeat: look at the system events above and anything else that needs attention now. " +
  "If nothing does, reply HEARTBEAT_OK.";

/** A beat never comes sooner than this after the previous one, whatever the config says. */
const MIN_INTERVAL_MS = 1_000;

/**
 * Reads an interval: a number with `ms`, `s`, `m` or `h` (a bare number is minutes).
 *
 * @returns milliseconds, or undefined when `text` is not an interval
 */
export function parseInterval(text: string): number | undefined {
  const m = text.trim().match(/^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i);
  if (!m) return undefined;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[
    (m[2] ?? "m").toLowerCase() as "ms" | "s" | "m" | "h"
  ];
  const ms = Number(m[1]) * unit;
  return ms > 0 ? Math.max(MIN_INTERVAL_MS, Math.round(ms)) : undefined;
}

/** Schedules heartbeat turns; re-reads its settings whenever it is re-armed. */
export class HeartbeatScheduler {
  #options: HeartbeatOptions;
  #clock: Clock;
  #timer: ClockTimer | undefined;
  #running: AbortController | undefined;
  #run: Promise<void> | undefined;
  #stopped = false;
  #warnedEvery: string | undefined;
  #cleanups: (() => void)[] = [];

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** (Re)arms the timer from the current settings; call after a config change. */
  arm(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped) return;
    const settings = this.#options.settings();
    if (!settings.enabled) return;
    const interval = parseInterval(settings.every);
    if (interval === undefined) {
      if (this.#warnedEvery !== settings.every) {
        this.#options.logger.warn("heartbeat.every is not an interval; heartbeat paused", {
          every: settings.every,
        });
        this.#warnedEvery = settings.every;
      }
      return;
    }
    this.#timer = this.#clock.setTimeout(() => this.beat(), interval);
  }

  /** Beats now (when enabled and not already beating), then re-arms. */
  beat(): Promise<void> {
    if (this.#stopped || this.#running || !this.#options.settings().enabled) {
      return this.#run ?? Promise.resolve();
    }
    this.#clock.clearTimeout(this.#timer);
    const controller = new AbortController();
    this.#running = controller;
    this.#run = (async () => {
      const { prompt } = this.#options.settings();
      try {
        await this.#options.run(prompt ?? DEFAULT_HEARTBEAT_PROMPT, controller.signal);
        this.#options.systemEvents.lastHeartbeatAt = new Date(this.#clock.now()).toISOString();
      } catch (error) {
        if (!controller.signal.aborted) {
          this.#options.logger.warn("heartbeat turn failed", { error: (error as Error).message });
        }
      } finally {
        this.#running = undefined;
        this.arm();
      }
    })();
    return this.#run;
  }

  /** Registers something to undo at stop, such as a subscription that calls `arm` or `beat`. */
  onStop(cleanup: () => void): void {
    this.#cleanups.push(cleanup);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    this.#clock.clearTimeout(this.#timer);
    this.#running?.abort();
    await this.#run?.catch(() => {});
  }
}
