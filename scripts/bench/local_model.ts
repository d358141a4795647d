/**
 * @module Benchmark: tokens per second of pyclaw's local provider against node-llama-cpp called
 * directly, on the same GGUF, threads, context and prompt, in alternating rounds. Target: pyclaw
 * adds at most 5%.
 *
 * Usage: `deno run -A scripts/bench/local_model.ts [--model PATH] [--tokens N] [--rounds N]
 * [--threads N]`. Without `--model` it generates a small random-weight llama GGUF (~25 MB) so the
 * numbers measure generation, not the harness.
 */

import { join } from "node:path";
import { LocalModelStore } from "../../agent/models/model_store.ts";
import { createLlamaCppProvider } from "../../agent/providers/llamacpp.ts";
import { writeTinyGguf } from "../make_tiny_gguf.ts";

const args = Object.fromEntries(
  Deno.args.flatMap((arg, i, all) =>
    arg.startsWith("--")
      ? [[arg.slice(2), all[i + 1]?.startsWith("--") ? "" : all[i + 1] ?? ""]]
      : []
  ),
);
const tokens = Number(args.tokens ?? 128);
const rounds = Number(args.rounds ?? 9);
const threads = Number(args.threads ?? 1);
const contextSize = 2048;
const prompt = "Write a short story about a lighthouse keeper.";

const dir = await Deno.makeTempDir({ prefix: "pyclaw-bench-" });
const store = new LocalModelStore(join(dir, "models"));
const id = "bench/model.gguf";
const path = store.pathFor(id)!;
await Deno.mkdir(join(path, ".."), { recursive: true });
if (args.model) {
  await Deno.copyFile(args.model, path);
} else {
  await writeTinyGguf(path, { embedding: 512, layers: 4, heads: 8, kvHeads: 8, feedForward: 1408 });
}
const size = (await Deno.stat(path)).size;
await store.add({
  id,
  backend: "llamacpp",
  size,
  path,
  source: "huggingface",
  repo: "bench",
  downloadedAt: new Date().toISOString(),
});

// pyclaw: the provider as the gateway uses it.
const provider = createLlamaCppProvider("llamacpp", {
  store,
  settings: () => ({ threads, gpuLayers: 0, contextSize, idleUnloadMs: 600_000 }),
});
async function pyclawRound(): Promise<number> {
  const started = performance.now();
  let generated = 0;
  for await (
    const event of provider.stream({
      model: id,
      messages: [{ role: "user", content: prompt }],
      maxTokens: tokens,
      temperature: 0,
    })
  ) {
    if (event.type === "finish") generated = event.usage?.completionTokens ?? 0;
  }
  return generated / ((performance.now() - started) / 1000);
}

// Direct: node-llama-cpp alone, same settings.
const { getLlama, LlamaChat, LlamaLogLevel } = await import("node-llama-cpp");
const llama = await getLlama({
  gpu: false,
  build: "never",
  logLevel: LlamaLogLevel.error,
  maxThreads: threads,
});
const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
const context = await model.createContext({ contextSize, threads });
const sequence = context.getSequence();
// One LlamaChat, as a program using node-llama-cpp directly would keep it.
const chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false });
async function directRound(): Promise<number> {
  const started = performance.now();
  let generated = 0;
  await chat.generateResponse([{ type: "user", text: prompt }, { type: "model", response: [] }], {
    maxTokens: tokens,
    temperature: 0,
    onTextChunk: () => {},
    onToken: (t) => (generated += t.length),
  });
  return generated / ((performance.now() - started) / 1000);
}

const median = (values: number[]) =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
// Warm both (load, first evaluation), then alternate so drift hits both sides alike.
await pyclawRound();
await directRound();
const ours: number[] = [];
const direct: number[] = [];
for (let i = 0; i < rounds; i++) {
  // Swap the order every round so neither side always runs right after the other.
  if (i % 2 === 0) {
    ours.push(await pyclawRound());
    direct.push(await directRound());
  } else {
    direct.push(await directRound());
    ours.push(await pyclawRound());
  }
}
if (args.verbose !== undefined) {
  console.log(`pyclaw rounds: ${ours.map((v) => v.toFixed(0)).join(" ")}`);
  console.log(`direct rounds: ${direct.map((v) => v.toFixed(0)).join(" ")}`);
}
const a = median(ours);
const b = median(direct);
const bestA = Math.max(...ours);
const bestB = Math.max(...direct);
console.log(
  `model: ${args.model ?? "generated"} (${(size / 1e6).toFixed(1)} MB), threads ${threads}`,
);
console.log(`tokens per round: ${tokens}, rounds: ${rounds}`);
console.log(`node-llama-cpp direct:    median ${b.toFixed(1)} tok/s, best ${bestB.toFixed(1)}`);
console.log(`pyclaw llamacpp provider: median ${a.toFixed(1)} tok/s, best ${bestA.toFixed(1)}`);
// Best-of is the steadier figure on a shared machine: contention only ever slows a round down.
console.log(
  `pyclaw / direct: median ${(a / b).toFixed(3)}, best ${(bestA / bestB).toFixed(3)} ` +
    `(overhead ${((1 - bestA / bestB) * 100).toFixed(1)}% best-of)`,
);

await provider.close!();
chat.dispose({ disposeSequence: false });
await context.dispose();
await model.dispose();
await llama.dispose();
await Deno.remove(dir, { recursive: true });
