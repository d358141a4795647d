import { join } from "node:path";
import { UsageStore, type UsageSummary } from "../../agent/usage_store.ts";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { bytesReadFrom } from "../_helpers/file_reads.ts";

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

/** A log of `count` calls made today, one token each way and a cost of 1. */
function logLines(count: number, model = "m"): string {
  const time = new Date().toISOString();
  const line = JSON.stringify({
    time,
    provider: "p",
    model,
    promptTokens: 1,
    completionTokens: 1,
    cost: 1,
  });
  return `${line}\n`.repeat(count);
}

Deno.test("UsageStore starts from its saved totals and reads only the log's lines after them", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-usage-" });
  try {
    const file = join(dir, "usage.jsonl");
    await Deno.writeTextFile(file, logLines(3_000));
    const first = new UsageStore(file);
    await first.record({
      provider: "p",
      model: "m",
      promptTokens: 1,
      completionTokens: 1,
      cost: 1,
    });
    // Saved after the append: the log had grown past the totals by more than 64 KiB (all of it).
    assert((await Deno.stat(first.totalsFile)).isFile);
    await first.flush();
    // Calls another writer appended since, and the log's format is unchanged.
    await Deno.writeTextFile(file, logLines(2, "n"), { append: true });
    const lines = (await Deno.readTextFile(file)).trim().split("\n");
    assertEquals(lines.length, 3_003);
    assertEquals(Object.keys(JSON.parse(lines[3_000])), [
      "time",
      "provider",
      "model",
      "promptTokens",
      "completionTokens",
      "cost",
    ]);
    const size = (await Deno.stat(file)).size;

    let summary!: UsageSummary;
    const read = await bytesReadFrom(file, async () => {
      summary = await new UsageStore(file).summary(2);
    });
    assertEquals([summary.requests, summary.totalTokens, summary.estimatedCost], [
      3_003,
      6_006,
      3_003,
    ]);
    assertEquals(summary.byModel.map((m) => [m.model, m.requests]), [["m", 3_001], ["n", 2]]);
    // The two new lines and the bytes that tell the log is the same, of a log of ~300 KB.
    assert(size > 250_000);
    assert(read < 1_000, `read ${read} bytes of ${size}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UsageStore reads the whole log when its saved totals do not match it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-usage-" });
  try {
    const file = join(dir, "usage.jsonl");
    const store = new UsageStore(file);
    await Deno.writeTextFile(file, logLines(100));
    await store.summary(2);
    store.record({ provider: "p", model: "m", promptTokens: 1, completionTokens: 1, cost: 1 });
    await store.flush();
    const saved = await Deno.readTextFile(store.totalsFile);
    const requests = async () => (await new UsageStore(file).summary(2)).requests;
    assertEquals(await requests(), 101);

    // Cut short (a user trimmed it): less than the totals counted.
    await Deno.writeTextFile(file, logLines(40));
    assertEquals(await requests(), 40);
    // Replaced by a longer log whose bytes before the saved offset differ.
    await Deno.writeTextFile(file, logLines(200, "other"));
    await Deno.writeTextFile(store.totalsFile, saved);
    assertEquals(await requests(), 200);
    // A totals file that is not whole.
    await Deno.writeTextFile(store.totalsFile, saved.slice(0, 20));
    assertEquals(await requests(), 200);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UsageStore starts its first append after a torn last line on a line of its own", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-usage-" });
  try {
    const file = join(dir, "usage.jsonl");
    await Deno.writeTextFile(file, logLines(3) + '{"time":"2026-03-10T1');
    const store = new UsageStore(file);
    await store.record({ provider: "p", model: "m", promptTokens: 1, completionTokens: 1 });
    await store.flush();
    // From the saved totals, and read whole (no totals file): the same four calls.
    const saved = await new UsageStore(file).summary(2);
    await Deno.remove(store.totalsFile);
    const whole = await new UsageStore(file).summary(2);
    assertEquals([saved.requests, whole.requests], [4, 4]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UsageStore starts a line of its own after an append that failed half written", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-usage-" });
  const deno = Deno as unknown as Record<string, unknown>;
  const write = Deno.writeTextFile;
  try {
    const file = join(dir, "usage.jsonl");
    await Deno.writeTextFile(file, logLines(2));
    const store = new UsageStore(file, { batchMs: 0 });
    await store.summary(2); // the log is read: its lines are counted
    // A full disk: half the append lands, then the write fails.
    deno.writeTextFile = async (path: string, text: string, options?: Deno.WriteFileOptions) => {
      deno.writeTextFile = write;
      await write(path, text.slice(0, text.length >> 1), options);
      throw new Deno.errors.PermissionDenied("no space left on device");
    };
    await store.record({ provider: "p", model: "m", promptTokens: 1, completionTokens: 1 })
      .catch(() => {});
    await store.record({ provider: "p", model: "m", promptTokens: 2, completionTokens: 2 });
    await store.flush();
    // Read whole: the two old calls and the one written after the failure; the torn one is lost.
    await Deno.remove(store.totalsFile).catch(() => {});
    assertEquals((await new UsageStore(file).summary(2)).requests, 3);
  } finally {
    deno.writeTextFile = write;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UsageStore.flushSync starts a line of its own after a torn end it never read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-usage-" });
  try {
    const file = join(dir, "usage.jsonl");
    await Deno.writeTextFile(file, logLines(2) + '{"time":"2026-03-10T1');
    const store = new UsageStore(file, { batchMs: 60_000 });
    store.record({ provider: "p", model: "m", promptTokens: 1, completionTokens: 1 });
    store.flushSync();
    assertEquals((await new UsageStore(file).summary(2)).requests, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("UsageStore keeps today's totals when one record is dated years ahead", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-usage-" });
  try {
    const file = join(dir, "usage.jsonl");
    const store = new UsageStore(file, { batchMs: 0 });
    for (let i = 0; i < 50; i++) {
      store.record({ provider: "p", model: "m", promptTokens: 1, completionTokens: 1 });
    }
    // A clock that jumped ahead for a moment (a faulty RTC), or a hand edit.
    await store.record({
      provider: "p",
      model: "m",
      promptTokens: 1,
      completionTokens: 1,
      time: "2038-01-19T03:14:07.000Z",
    });
    await store.summary(1);
    await store.flush();
    // After a restart, from the saved totals: today's 50 and the one ahead (a window has no end).
    assertEquals((await new UsageStore(file).summary(2)).requests, 51);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
