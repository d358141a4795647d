import { join } from "node:path";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { rankHits } from "../../../agent/memory/_ranking.ts";
import { MemoryDb, type MemorySource } from "../../../agent/memory/memory_db.ts";
import { VectorSet } from "../../../agent/memory/_vectors.ts";

const settings = configSchema().parse({}).agents.defaults.memorySearch;

function fileOf(path: string, source: MemorySource) {
  return { path, source, size: 0, mtimeMs: 0, offset: 0, lines: 0, tail: "", indexedAt: 0 };
}

Deno.test("memory ranking fills the limit with others' hits when the asking session holds the nearest", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-ranking-" });
  const db = new MemoryDb(join(dir, "index.sqlite"));
  try {
    const vectors = new VectorSet();
    // The asking session: many chunks, every one nearer the query than any other chunk.
    const own = db.writeFile(
      fileOf("sessions/asking.jsonl", "sessions"),
      Array.from({ length: 200 }, (_, i) => ({ startLine: i + 1, endLine: i + 1, text: `q ${i}` })),
      false,
    ).added;
    for (const id of own) vectors.set(id, Float32Array.of(1, 0));
    // Notes found by meaning only: their words do not match the query.
    const notes = db.writeFile(
      fileOf("memory/notes.md", "memory"),
      Array.from(
        { length: 10 },
        (_, i) => ({ startLine: i + 1, endLine: i + 1, text: `oolong ${i}` }),
      ),
      false,
    ).added;
    for (const id of notes) vectors.set(id, Float32Array.of(0.6, 0.8));

    const hits = rankHits(db, vectors, "green tea", Float32Array.of(1, 0), {
      settings,
      limit: 5,
      excludePaths: ["sessions/asking.jsonl"],
    });
    assertEquals(hits.length, 5);
    assert(hits.every((hit) => hit.path === "memory/notes.md"), JSON.stringify(hits));
  } finally {
    db.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vector set skips excluded ids while it scans, so they take no place among the k", () => {
  const vectors = new VectorSet();
  for (let id = 0; id < 100; id++) vectors.set(id, Float32Array.of(1, id / 100));
  const exclude = new Set(Array.from({ length: 50 }, (_, id) => id));
  const nearest = vectors.nearest(Float32Array.of(1, 0), 3, { exclude });
  assertEquals(nearest.map((hit) => hit.id), [50, 51, 52]);
  assertEquals(vectors.nearest(Float32Array.of(1, 0), 0), []);
});
