import { assertEquals } from "../../_helpers/assert.ts";
import { fillDays } from "../../../ui/status/usage_days.ts";

Deno.test("fillDays gives every day of the period, zero where nothing was used", () => {
  const today = new Date("2026-03-02T12:00:00Z");
  const days = fillDays(
    [{ date: "2026-02-28", totalTokens: 30, estimatedCost: 0.5, requests: 2 }],
    4,
    today,
  );
  assertEquals(days.map((d) => [d.date, d.totalTokens]), [
    ["2026-02-27", 0],
    ["2026-02-28", 30],
    ["2026-03-01", 0],
    ["2026-03-02", 0],
  ]);
});
