/**
 * @module A local model store holding the tiny random-weight GGUF from scripts/make_tiny_gguf.ts,
 * for tests that run real inference through node-llama-cpp.
 */

import { join } from "node:path";
import { LocalModelStore } from "../../agent/models/model_store.ts";
import { memoryPromptSection } from "../../agent/memory/memory_prompt.ts";
import { buildSystemPrompt } from "../../agent/prompt.ts";
import { buildToolSet } from "../../agent/tool_calls.ts";
import { BUILTIN_TOOLS } from "../../tools/builtin_tools.ts";
import { type TinyGgufOptions, writeTinyGguf } from "../../scripts/make_tiny_gguf.ts";

/** The id the tiny model is stored under. */
export const TINY_MODEL_ID = "pyclaw/tiny-GGUF/tiny-q4_k_m.gguf";

/**
 * A tiny model that always starts a function call: after the newline that opens the assistant's
 * turn it writes node-llama-cpp's default call prefix `||call:`, and the grammar does the rest.
 */
export const CALLING_MODEL: TinyGgufOptions = {
  nextToken: { "<0x0A>": "||call:", "||call:": "▁clock", "▁clock": "(" },
};

/**
 * The words of an agent turn's prompt with the default tools (system prompt, memory section,
 * the lean tool set and node-llama-cpp's function preamble), for {@linkcode TinyGgufOptions.words}:
 * the tiny model then counts that prompt in about as many tokens as a real 8k model would,
 * instead of one token per character.
 */
export function agentPromptWords(): string[] {
  const { specs } = buildToolSet(BUILTIN_TOOLS, [], { lean: true });
  const text = [
    buildSystemPrompt({ now: new Date() }),
    memoryPromptSection(new Set(specs.map((spec) => spec.name))),
    JSON.stringify(specs),
    "The assistant calls the provided functions as needed to retrieve information instead of " +
    "relying on existing knowledge. To fulfill a request, the assistant calls relevant functions " +
    "in advance when needed before responding to the request, and does not tell the user prior " +
    "to calling a function. Provided functions: typescript function params bigint null",
  ].join(" ");
  return [...new Set(text.match(/[A-Za-z_]{3,}/g))];
}

/** Writes the tiny GGUF into a store under `stateDir` (a new temp dir when absent). */
export async function tinyModelStore(stateDir?: string, gguf: TinyGgufOptions = {}): Promise<{
  store: LocalModelStore;
  stateDir: string;
  path: string;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const dir = stateDir ?? await Deno.makeTempDir({ prefix: "pyclaw-tiny-" });
  const store = new LocalModelStore(join(dir, "models"));
  const path = store.pathFor(TINY_MODEL_ID)!;
  await Deno.mkdir(join(path, ".."), { recursive: true });
  const size = await writeTinyGguf(path, gguf);
  await store.add({
    id: TINY_MODEL_ID,
    backend: "llamacpp",
    size,
    path,
    source: "huggingface",
    repo: "pyclaw/tiny-GGUF",
    downloadedAt: new Date().toISOString(),
  });
  return {
    store,
    stateDir: dir,
    path,
    async [Symbol.asyncDispose]() {
      if (!stateDir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
