/** @module core/iso_time.ts writes what `Date.prototype.toISOString` writes. */

import { assertEquals } from "../_helpers/assert.ts";
import { isoTime } from "../../core/iso_time.ts";

Deno.test("isoTime writes what toISOString writes, at the edges of days, months, leap years and its range", () => {
  const instants = [
    0,
    1,
    999,
    86_399_999,
    86_400_000,
    Date.UTC(1972, 1, 29, 12),
    Date.UTC(1999, 11, 31, 23, 59, 59, 999),
    Date.UTC(2000, 1, 29),
    Date.UTC(2000, 2, 1),
    Date.UTC(2100, 1, 28, 23, 59, 59, 999),
    Date.UTC(2100, 2, 1),
    Date.UTC(2400, 1, 29),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    Date.now(),
  ];
  // And a spread of instants across the whole range, each day's position varied.
  for (let i = 0; i < 20_000; i++) {
    instants.push(Math.floor(i * 12_676_891_234.567) % 253_402_300_800_000);
  }
  for (const ms of instants) assertEquals(isoTime(ms), new Date(ms).toISOString(), String(ms));
});

Deno.test("isoTime leaves instants outside 1970-9999 to Date", () => {
  for (const ms of [-1, -86_400_001, 253_402_300_800_000, 1.5]) {
    assertEquals(isoTime(ms), new Date(ms).toISOString());
  }
});

Deno.test("isoTime writes what toISOString writes second by second, and back in time", () => {
  const now = Date.UTC(2026, 11, 6, 23, 59, 59, 998);
  const instants = [now, now + 1, now + 2, now + 1_002, now - 1, now - 86_400_000, now, 7, 1_000];
  for (const ms of instants) assertEquals(isoTime(ms), new Date(ms).toISOString(), String(ms));
});
