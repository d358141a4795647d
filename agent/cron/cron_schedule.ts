/**
 * @module Cron expressions, parsed by `croner`: the standard five fields (minute hour day month
 * weekday), or six with a leading seconds field, in an optional IANA timezone.
 */

import { Cron } from "croner";
import { GatewayError } from "../../core/errors.ts";

/** A parsed, valid schedule. */
export interface CronSchedule {
  expression: string;
  timezone?: string;
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

/**
 * Parses `expression` in `timezone` (the machine's own when absent).
 *
 * @throws {GatewayError} INVALID_PARAMS for a malformed expression, an unknown timezone, or a
 * schedule that never runs (such as February 30th)
 */
export function parseSchedule(expression: string, timezone?: string): CronSchedule {
  const trimmed = expression.trim().replace(/\s+/g, " ");
  const fields = trimmed.split(" ").length;
  if (fields !== 5 && fields !== 6) {
    throw new GatewayError(
      "INVALID_PARAMS",
      `Invalid cron expression "${expression}": expected 5 fields (minute hour day month weekday), or 6 with leading seconds`,
    );
  }
  if (timezone !== undefined && !isValidTimezone(timezone)) {
    throw new GatewayError("INVALID_PARAMS", `Unknown timezone: ${timezone}`);
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
  const schedule: CronSchedule = {
    expression: trimmed,
    timezone,
    nextRun: (after) => cron.nextRun(after),
  };
  if (!schedule.nextRun(new Date())) {
    throw new GatewayError("INVALID_PARAMS", `Cron expression "${expression}" never runs`);
  }
  return schedule;
}
