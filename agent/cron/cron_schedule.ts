/**
 * @module Job schedules: cron expressions parsed by `croner` (the standard five fields, minute
 * hour day month weekday, or six with a leading seconds field, in an optional IANA timezone),
 * plus `@every <n>s` (a fixed interval counted from the job's creation) and `@at <ISO time>`
 * (once).
 */

import { Cron } from "croner";
import { GatewayError } from "../../core/errors.ts";

/** A parsed, valid schedule. */
export interface CronSchedule {
  expression: string;
  timezone?: string;
  /** True for `@at`: the job runs once, then goes. */
  once: boolean;
  /** The first run strictly after `after`, or null when the schedule never runs again. */
  nextRun(after: Date): Date | null;
}

/** True for a timezone name the platform knows (`Europe/Berlin`, `UTC`). */
export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

/** Options of {@linkcode parseSchedule}. */
export interface ParseOptions {
  /** The current time (the service's clock). @default new Date() */
  now?: Date;
  /** Where `@every` counts from (the job's creation). @default now */
  anchor?: Date;
  /** Refuse a schedule with no run after now (new jobs; saved ones may be overdue). @default true */
  requireFuture?: boolean;
}

const EVERY = /^@every\s+(\d+)s$/;
const AT = /^@at\s+(\S+)$/;
/** The shortest `@every` interval. */
export const MIN_EVERY_SECONDS = 1;

/**
 * Parses `expression` in `timezone` (the machine's own when absent).
 *
 * @throws {GatewayError} INVALID_PARAMS for a malformed expression, an unknown timezone, or a
 * schedule that never runs (such as February 30th, or an `@at` time already past)
 */
export function parseSchedule(
  expression: string,
  timezone?: string,
  options: ParseOptions = {},
): CronSchedule {
  const trimmed = expression.trim().replace(/\s+/g, " ");
  if (timezone !== undefined && !isValidTimezone(timezone)) {
    throw new GatewayError("INVALID_PARAMS", `Unknown timezone: ${timezone}`);
  }
  const now = options.now ?? new Date();
  const schedule = trimmed.startsWith("@")
    ? special(trimmed, timezone, options.anchor ?? now)
    : cronExpression(trimmed, expression, timezone);
  if (options.requireFuture !== false && !schedule.nextRun(now)) {
    throw new GatewayError(
      "INVALID_PARAMS",
      schedule.once
        ? `Time ${trimmed.slice(4)} is in the past`
        : `Cron expression "${expression}" never runs`,
    );
  }
  return schedule;
}

function special(trimmed: string, timezone: string | undefined, anchor: Date): CronSchedule {
  const every = trimmed.match(EVERY);
  if (every) {
    const ms = Number(every[1]) * 1000;
    if (!(ms >= MIN_EVERY_SECONDS * 1000)) {
      throw new GatewayError("INVALID_PARAMS", `Interval too short: ${trimmed}`);
    }
    const start = anchor.getTime();
    return {
      expression: trimmed,
      timezone,
      once: false,
      // The next multiple of the interval after `after`, so restarts keep the same beat.
      nextRun: (after) =>
        new Date(start + (Math.floor(Math.max(0, after.getTime() - start) / ms) + 1) * ms),
    };
  }
  const at = trimmed.match(AT);
  const time = at ? Date.parse(at[1]) : NaN;
  if (!at || Number.isNaN(time)) {
    throw new GatewayError(
      "INVALID_PARAMS",
      `Invalid schedule "${trimmed}": expected @every <seconds>s or @at <ISO 8601 time>`,
    );
  }
  return {
    expression: `@at ${new Date(time).toISOString()}`,
    timezone,
    once: true,
    nextRun: (after) => time > after.getTime() ? new Date(time) : null,
  };
}

function cronExpression(trimmed: string, expression: string, timezone?: string): CronSchedule {
  const fields = trimmed.split(" ").length;
  if (fields !== 5 && fields !== 6) {
    throw new GatewayError(
      "INVALID_PARAMS",
      `Invalid cron expression "${expression}": expected 5 fields (minute hour day month weekday), or 6 with leading seconds`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(trimmed, { mode: "5-or-6-parts", timezone, paused: true });
  } catch (error) {
    throw new GatewayError(
      "INVALID_PARAMS",
      `Invalid cron expression "${expression}": ${(error as Error).message}`,
    );
  }
  return { expression: trimmed, timezone, once: false, nextRun: (after) => cron.nextRun(after) };
}
