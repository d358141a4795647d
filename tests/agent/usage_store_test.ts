import { join } from "node:path";
import { UsageStore } from "../../agent/usage_store.ts";
import { assertEquals } from "../_helpers/assert.ts";

Deno.test("UsageStore counts a record at once, writes it once, and batches a burst", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-usage-" });
  try {
    const file = join(dir, "state", "usage.jsonl");
    const store = new UsageStore(file);
    await store.record({
      provider: "p",
      model: "m",
      promptTokens: 10,
      completionTokens: 5,
      cost: 1,
    });
    const burst = Array.from(
      { length: 20 },
      () => store.record({ provider: "q", model: "n", promptTokens: 1, completionTokens: 1 }),
    );
    // Counted before the append has happened.
    assertEquals((await store.summary(1)).requests, 21);
    await Promise.all(burst);
    const lines = (await Deno.readTextFile(file)).trim().split("\n");
    assertEquals(lines.length, 21);
    const reloaded = await new UsageStore(file).summary(1);
    assertEquals([reloaded.requests, reloaded.totalTokens, reloaded.estimatedCost], [21, 55, 1]);
    assertEquals(reloaded.byProvider.map((p) => [p.provider, p.requests]), [["q", 20], ["p", 1]]);
    store.record({ provider: "p", model: "m", promptTokens: 1, completionTokens: 0 });
    await store.flush();
    assertEquals((await Deno.readTextFile(file)).trim().split("\n").length, 22);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UsageStore writes the records of a busy moment in one append, off the caller's path", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-usage-" });
  const writeTextFile = Deno.writeTextFile;
  const writes: string[] = [];
  Deno.writeTextFile = (path, data, options) => {
    writes.push(String(path));
    return writeTextFile(path, data, options);
  };
  try {
    // A window no test outlasts: what is written before flush() was written per record.
    const store = new UsageStore(join(dir, "usage.jsonl"), { batchMs: 600_000 });
    const recorded: Promise<void>[] = [];
    for (let i = 0; i < 5; i++) {
      recorded.push(
        store.record({ provider: "p", model: "m", promptTokens: 1, completionTokens: 1 }),
      );
      // Requests finish in turns of the event loop of their own.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    assertEquals((await store.summary(1)).requests, 5);
    assertEquals(writes, []);
    await store.flush();
    await Promise.all(recorded);
    assertEquals(writes.length, 1);
    assertEquals((await Deno.readTextFile(join(dir, "usage.jsonl"))).trim().split("\n").length, 5);
  } finally {
    Deno.writeTextFile = writeTextFile;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UsageStore sums a long file into day and model totals, and counts only the asked days", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-usage-" });
  try {
    const file = join(dir, "usage.jsonl");
    const now = new Date("2026-03-10T12:00:00Z");
    const lines: string[] = [];
    for (let i = 0; i < 3_000; i++) {
      const day = new Date(now.getTime() - (i % 60) * 86_400_000).toISOString();
      lines.push(JSON.stringify({
        time: day,
        provider: i % 2 ? "a" : "b",
        model: "m",
        promptTokens: 2,
        completionTokens: 1,
        cost: 0.5,
      }));
    }
    await Deno.writeTextFile(file, lines.join("\n") + "\n" + '{"time":"2026-03-10T1');
    const week = await new UsageStore(file).summary(7, now);
    assertEquals(week.requests, 7 * 50);
    assertEquals(week.totalTokens, 7 * 50 * 3);
    assertEquals(week.byDay.length, 7);
    // Even days went to provider b, odd days to a.
    assertEquals(week.byProvider.map((p) => [p.provider, p.requests]), [["b", 200], ["a", 150]]);
    assertEquals(week.estimatedCost, 7 * 50 * 0.5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UsageStore.flushSync writes a batch still waiting, before an exit that cannot wait", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-usage-" });
  try {
    const file = join(dir, "state", "usage.jsonl");
    // A window no test outlasts: only flushSync can write the record.
    const store = new UsageStore(file, { batchMs: 3_600_000 });
    const written = store.record({
      provider: "p",
      model: "m",
      promptTokens: 3,
      completionTokens: 4,
    });
    // Queued once the (missing) file has been read.
    await store.summary(1);
    store.flushSync();
    const lines = (await Deno.readTextFile(file)).trim().split("\n");
    assertEquals(lines.map((line) => JSON.parse(line).promptTokens), [3]);
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    // The batch's own append, woken now, finds nothing left to write: no line twice.
    await store.flush();
    await written;
    assertEquals((await Deno.readTextFile(file)).trim().split("\n").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
