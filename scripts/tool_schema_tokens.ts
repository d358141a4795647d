/**
 * @module Counts the tokens the default tool set costs a model on every request: each built-in
 * tool's name, description and JSON Schema, as the run loop sends them (the OpenAI `tools`
 * array), measured with gpt-tokenizer (o200k_base; local models' tokenizers differ by a few
 * percent). `lean` is what a model with a window of 8k tokens or less gets (no parameter
 * descriptions). Exits 1 when a set passes its budget.
 *
 *   node_modules/.bin/deno run --allow-read --allow-env scripts/tool_schema_tokens.ts [--json]
 */

import { countTokens } from "gpt-tokenizer";
import { buildToolSet } from "../agent/tool_calls.ts";
import { BUILTIN_TOOLS } from "../tools/builtin_tools.ts";

/**
 * What each set may cost. Lean: at most 2,560 of a 4,096-token window, leaving 1,536 for the
 * system prompt, the conversation and the answer. Full: what a larger model pays.
 */
export const TOOL_SCHEMA_BUDGET = { lean: 2_560, full: 4_096 } as const;

/** Tokens per tool and in all. */
export interface SchemaMeasure {
  total: number;
  tools: { name: string; tokens: number }[];
}

/** Measures the default set, full or lean. */
export function measureToolSchemas(lean: boolean): SchemaMeasure {
  const { specs } = buildToolSet(BUILTIN_TOOLS, [], { lean });
  const wire = specs.map((spec) => ({
    type: "function",
    function: { name: spec.name, description: spec.description, parameters: spec.parameters },
  }));
  return {
    total: countTokens(JSON.stringify(wire)),
    tools: wire.map((tool) => ({
      name: tool.function.name,
      tokens: countTokens(JSON.stringify(tool)),
    })),
  };
}

if (import.meta.main) {
  const full = measureToolSchemas(false);
  const lean = measureToolSchemas(true);
  if (Deno.args.includes("--json")) {
    console.log(JSON.stringify({ full, lean, budget: TOOL_SCHEMA_BUDGET }, null, 2));
  } else {
    console.log("  full   lean  tool");
    const byName = new Map(lean.tools.map((tool) => [tool.name, tool.tokens]));
    for (const tool of [...full.tools].sort((a, b) => b.tokens - a.tokens)) {
      console.log(
        `${String(tool.tokens).padStart(6)} ${
          String(byName.get(tool.name)).padStart(6)
        }  ${tool.name}`,
      );
    }
    console.log(
      `${String(full.total).padStart(6)} ${String(lean.total).padStart(6)}  total, ` +
        `${full.tools.length} tools (budget: full ${TOOL_SCHEMA_BUDGET.full}, ` +
        `lean ${TOOL_SCHEMA_BUDGET.lean} of a 4,096-token window)`,
    );
  }
  if (full.total > TOOL_SCHEMA_BUDGET.full || lean.total > TOOL_SCHEMA_BUDGET.lean) Deno.exit(1);
}
