/**
 * @module Memory search at scale: builds an agent's index of `--chunks` chunks (default 100,000)
 * from generated session transcripts (English and Chinese), then measures full-text search
 * latency, the brute-force vector pass at that size, and what indexing adds to a turn: the
 * turn's own cost (marking its session) and the background sync that reads the new messages.
 *
 *   npm run bench:memory -- [--chunks 100000] [--queries 300] [--dimensions 256]
 */

import { join } from "node:path";
import process from "node:process";
import { MemoryService } from "../../agent/memory/memory_service.ts";
import { LocalModelStore } from "../../agent/models/model_store.ts";
import { ProviderRegistry } from "../../agent/providers/registry.ts";
import { VectorSet } from "../../agent/memory/_vectors.ts";
import { normalize } from "../../agent/memory/embeddings.ts";
import { configSchema } from "../../core/config/schema.ts";
import { EventBus } from "../../core/event_bus.ts";
import { Logger } from "../../core/logger.ts";
import { statePaths } from "../../core/paths.ts";
import { flag, machine, ms, percentile, printTable } from "./_common.ts";

const CHUNKS = flag("chunks", 100_000);
const QUERIES = flag("queries", 300);
const DIMENSIONS = flag("dimensions", 256);
const SESSIONS = 500;
/** Chunk size for the run: 100 tokens (~400 characters), two messages a chunk. */
const CHUNK_TOKENS = 100;

// A seeded generator, so every run indexes the same text.
let seed = 42;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);

// English-like text: function words make up almost half of it, and content words (random
// letters, so their trigrams vary as real words' do) follow Zipf's law (log-uniform ranks).
const STOPWORDS = ("the a to and of in is it that for on with as was at be this have from or by " +
  "not but what all we when your can there an each which do how their if will up about out " +
  "then them these so").split(" ");
const LETTERS = "eeeeeeeeeeeettttttttaaaaaaaooooooiiiiiinnnnnnsssssshhhhhrrrrrdddllcuumwfgypbvk";
const words = Array.from(
  { length: 20_000 },
  () =>
    Array.from(
      { length: 4 + Math.floor(random() * 7) },
      () => LETTERS[Math.floor(random() * LETTERS.length)],
    ).join(""),
);
// Chinese: 3,000 characters and 8,000 two- and three-character words, also Zipf-distributed.
const hanzi = Array.from({ length: 3_000 }, (_, i) => String.fromCodePoint(0x4e00 + i * 7));
const zhWords = Array.from(
  { length: 8_000 },
  () => Array.from({ length: 2 + Math.floor(random() * 2) }, () => zipf(hanzi)).join(""),
);

/** An item by Zipf's law: rank r with probability about 1/r. */
function zipf<T>(items: T[]): T {
  return items[Math.floor(Math.exp(random() * Math.log(items.length)))];
}

/** A content word a search would use: neither among the commonest nor the rarest. */
function queryWord<T>(items: T[]): T {
  return items[100 + Math.floor(random() * (items.length / 4))];
}

function message(): string {
  if (random() < 0.15) return Array.from({ length: 45 }, () => zipf(zhWords)).join("");
  return Array.from(
    { length: 32 },
    () => random() < 0.45 ? STOPWORDS[Math.floor(random() * STOPWORDS.length)] : zipf(words),
  ).join(" ");
}

async function writeSessions(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  // A message of ~200 characters; most chunks of ~400 hold one or two.
  const perSession = Math.ceil((CHUNKS * 2) / SESSIONS);
  const time = new Date("2026-01-01T00:00:00Z").toISOString();
  for (let s = 0; s < SESSIONS; s++) {
    const lines: string[] = [];
    for (let m = 0; m < perSession; m++) {
      lines.push(JSON.stringify({ role: m % 2 ? "assistant" : "user", content: message(), time }));
    }
    await Deno.writeTextFile(join(dir, `s${s}.jsonl`), lines.join("\n") + "\n");
  }
}

const root = await Deno.makeTempDir({ prefix: "pyclaw-bench-memory-" });
try {
  const paths = statePaths(root);
  const config = configSchema().parse({
    agents: {
      defaults: {
        memorySearch: { chunking: { tokens: CHUNK_TOKENS, overlap: 0 }, sync: { watch: false } },
      },
    },
  });
  const bus = new EventBus();
  const memory = new MemoryService({
    config: () => config,
    paths,
    bus,
    logger: new Logger({ consoleLevel: "warn" }),
    providers: new ProviderRegistry({ config: () => config }),
    localModels: new LocalModelStore(paths.modelsDir),
    localSettings: () => config.models.local,
  });
  console.log(machine());
  let started = performance.now();
  await writeSessions(paths.sessionsDir("main"));
  console.log(
    `wrote ${SESSIONS} sessions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  started = performance.now();
  const index = await memory.index("main");
  await index.sync();
  const built = index.status();
  console.log(
    `indexed ${built.chunks} chunks from ${built.files} files in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s (${(Deno.statSync(built.dbPath).size / 2 ** 20).toFixed(0)} MiB)`,
  );

  const queries = Array.from({ length: QUERIES }, (_, i) => {
    switch (i % 4) {
      case 0:
        return queryWord(words);
      case 1:
        return `${queryWord(words)} ${queryWord(words)}`;
      case 2:
        return queryWord(zhWords).slice(0, 2); // a two-character Chinese word
      default:
        return queryWord(zhWords) + queryWord(zhWords);
    }
  });
  for (const query of queries.slice(0, 20)) await memory.search("main", query); // warm up
  // Wall time, and this process's CPU time: on a shared machine the second shows the work.
  const timings: number[] = [];
  const cpuTimings: number[] = [];
  let hits = 0;
  for (const query of queries) {
    const cpu = process.cpuUsage();
    const t = performance.now();
    hits += (await memory.search("main", query)).results.length;
    timings.push(performance.now() - t);
    const used = process.cpuUsage(cpu);
    cpuTimings.push((used.user + used.system) / 1000);
  }

  // The vector pass at this size: one query against every chunk's vector.
  const vectors = new VectorSet();
  for (let id = 0; id < built.chunks; id++) {
    vectors.set(id, normalize(Float32Array.from({ length: DIMENSIONS }, () => random() - 0.5)));
  }
  const vectorTimings: number[] = [];
  for (let i = 0; i < 50; i++) {
    const query = normalize(Float32Array.from({ length: DIMENSIONS }, () => random() - 0.5));
    const t = performance.now();
    vectors.nearest(query, 24);
    vectorTimings.push(performance.now() - t);
  }

  // A turn: its messages are appended, `chat.done` marks the session (the turn's cost), and
  // the background sync reads the new lines (off the turn's path, but on the same thread).
  const turnCost: number[] = [];
  const syncCost: number[] = [];
  for (let turn = 0; turn < 50; turn++) {
    const sessionId = `s${turn % SESSIONS}`;
    const time = new Date().toISOString();
    const lines = [
      { role: "user", content: message(), time },
      { role: "assistant", content: message(), time },
    ].map((line) => JSON.stringify(line) + "\n").join("");
    await Deno.writeTextFile(join(paths.sessionsDir("main"), `${sessionId}.jsonl`), lines, {
      append: true,
    });
    let t = performance.now();
    bus.publish("chat.done", {
      agentId: "main",
      sessionId,
      usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
      aborted: false,
    });
    turnCost.push(performance.now() - t);
    t = performance.now();
    await index.sync();
    syncCost.push(performance.now() - t);
  }
  await memory.stop();

  const row = (name: string, values: number[]) => [
    name,
    ms(percentile(values, 50)),
    ms(percentile(values, 95)),
  ];
  console.log();
  printTable(["", "p50", "p95"], [
    row(`full-text search, ${built.chunks} chunks`, timings),
    row("  the same, CPU time", cpuTimings),
    row(`vector pass, ${built.chunks} × ${DIMENSIONS} dims`, vectorTimings),
    row("indexing added to a turn (mark session)", turnCost),
    row("background sync of one turn", syncCost),
  ]);
  console.log(`\n${QUERIES} queries, ${(hits / QUERIES).toFixed(1)} hits each on average`);
} finally {
  await Deno.remove(root, { recursive: true });
}
