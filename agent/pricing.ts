/**
 * @module Model prices for `usage.get`'s estimate: the model's `cost` in config wins, else a
 * small table of well-known models (USD per million tokens, list prices at the time of writing).
 */

import type { Usage } from "./providers/types.ts";

/** USD per million input and output tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

// Longest prefix wins, so `gpt-4o-mini` is not priced as `gpt-4o`.
const DEFAULT_PRICES: [string, ModelPrice][] = [
  ["gpt-4o-mini", { input: 0.15, output: 0.6 }],
  ["gpt-4o", { input: 2.5, output: 10 }],
  ["gpt-4.1-nano", { input: 0.1, output: 0.4 }],
  ["gpt-4.1-mini", { input: 0.4, output: 1.6 }],
  ["gpt-4.1", { input: 2, output: 8 }],
  ["gpt-5-nano", { input: 0.05, output: 0.4 }],
  ["gpt-5-mini", { input: 0.25, output: 2 }],
  ["gpt-5", { input: 1.25, output: 10 }],
  ["o3-mini", { input: 1.1, output: 4.4 }],
  ["o4-mini", { input: 1.1, output: 4.4 }],
  ["o3", { input: 2, output: 8 }],
  ["claude-opus-4", { input: 15, output: 75 }],
  ["claude-sonnet-4", { input: 3, output: 15 }],
  ["claude-3-7-sonnet", { input: 3, output: 15 }],
  ["claude-3-5-sonnet", { input: 3, output: 15 }],
  ["claude-3-5-haiku", { input: 0.8, output: 4 }],
  ["claude-haiku-4", { input: 1, output: 5 }],
  ["deepseek-chat", { input: 0.27, output: 1.1 }],
  ["deepseek-reasoner", { input: 0.55, output: 2.19 }],
  ["qwen-max", { input: 1.6, output: 6.4 }],
  ["qwen-plus", { input: 0.4, output: 1.2 }],
  ["qwen-turbo", { input: 0.05, output: 0.2 }],
  ["moonshot-v1-8k", { input: 0.17, output: 0.17 }],
];

/**
 * Default prices already looked up, by model name: every `/v1` answer and turn is priced, and
 * the look-up (a lower-cased copy, a split, a walk of the table) cost each one about a
 * kilobyte of garbage (issue 17). A gateway names a handful of models; the map is emptied if
 * it ever holds many.
 */
const looked = new Map<string, ModelPrice | undefined>();

/** The price of `model`: configured, else from the default table, else unknown. */
export function priceOf(model: string, configured?: ModelPrice): ModelPrice | undefined {
  if (configured) return configured;
  if (looked.has(model)) return looked.get(model);
  const id = model.toLowerCase().split("/").at(-1) ?? "";
  let best: [string, ModelPrice] | undefined;
  for (const entry of DEFAULT_PRICES) {
    if (id.startsWith(entry[0]) && (!best || entry[0].length > best[0].length)) best = entry;
  }
  if (looked.size >= 256) looked.clear();
  looked.set(model, best?.[1]);
  return best?.[1];
}

/** The estimated cost of one call in USD, or `undefined` when the price is unknown. */
export function costOf(usage: Usage, price: ModelPrice | undefined): number | undefined {
  if (!price) return undefined;
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1e6;
}
