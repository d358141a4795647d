/**
 * @module An instant as ISO 8601 UTC text (`2026-12-06T01:30:00.000Z`), from arithmetic on the
 * epoch milliseconds. What `Date.prototype.toISOString` writes, without its first call's cost:
 * V8 sets up its time zone data then (ICU's code and tables, ~2.4 MB of the idle gateway's
 * resident memory, issue 17), which formatting in UTC never needs. The log, the usage records
 * and the state dir's record use it; tests/core/iso_time_test.ts holds it to `toISOString`.
 */

const DAY_MS = 86_400_000;

/**
 * `new Date(ms).toISOString()` for the years 1970 to 9999; other instants go to `Date` itself.
 *
 * @param ms Milliseconds since the epoch; the current time by default.
 */
export function isoTime(ms: number = Date.now()): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= 253_402_300_800_000) {
    return new Date(ms).toISOString();
  }
  // The text to the second is worked out once a second: the log's lines and a busy gateway's
  // usage records (a `/v1` request each, issue 17) mostly fall in the second before.
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastPrefix = civil(second * 1000);
    lastSecond = second;
  }
  return `${lastPrefix}${pad(ms - second * 1000, 3)}Z`;
}

/** The second {@linkcode isoTime} wrote last, and its text up to the milliseconds. */
let lastSecond = -1;
let lastPrefix = "";

/** `ms`'s ISO text up to its milliseconds (`2026-12-06T01:30:00.`), for whole seconds. */
function civil(ms: number): string {
  const days = Math.floor(ms / DAY_MS);
  const inDay = ms - days * DAY_MS;
  // Days since 1970-01-01 to a civil date, after Howard Hinnant's `civil_from_days`: eras of
  // 400 years (146,097 days) counted from 0000-03-01, so the leap day ends each year.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra -
    (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shifted = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shifted + 2) / 5) + 1;
  const month = shifted < 10 ? shifted + 3 : shifted - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${
    pad(Math.floor(inDay / 3_600_000), 2)
  }:${pad(Math.floor(inDay / 60_000) % 60, 2)}:${pad(Math.floor(inDay / 1000) % 60, 2)}.`;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}
