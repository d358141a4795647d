/** @module Usage by day as the chart plots it: every day of the period, gaps filled with zeros. */

import type { MethodResult } from "../../core/protocol/methods.ts";

/** One day of `usage.get`'s `byDay`, as the catalogue types it. */
export type UsageDay = MethodResult<"usage.get">["byDay"][number];

/** Every day of the last `days` days ending `today` (UTC), zero where nothing was used. */
export function fillDays(byDay: UsageDay[], days: number, today = new Date()): UsageDay[] {
  const known = new Map(byDay.map((day) => [day.date, day]));
  const out: UsageDay[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const date = new Date(today.getTime() - i * 86_400_000).toISOString().slice(0, 10);
    out.push(known.get(date) ?? { date, totalTokens: 0, estimatedCost: 0, requests: 0 });
  }
  return out;
}
