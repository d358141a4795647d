import { costOf, priceOf } from "../../agent/pricing.ts";
import { assertEquals } from "../_helpers/assert.ts";

Deno.test("priceOf prefers the configured price, then the longest known prefix", () => {
  assertEquals(priceOf("gpt-4o", { input: 1, output: 1 }), { input: 1, output: 1 });
  assertEquals(priceOf("gpt-4o-mini-2024-07-18"), { input: 0.15, output: 0.6 });
  assertEquals(priceOf("gpt-4o-2024-08-06"), { input: 2.5, output: 10 });
  assertEquals(priceOf("some-local-model"), undefined);
  const usage = { promptTokens: 1_000_000, completionTokens: 500_000, totalTokens: 1_500_000 };
  assertEquals(costOf(usage, { input: 3, output: 15 }), 10.5);
  assertEquals(costOf(usage, undefined), undefined);
});
