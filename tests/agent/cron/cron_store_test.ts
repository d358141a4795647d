/** @module The cron history file stays bounded however often the gateway restarts. */

import { join } from "node:path";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { type CronRunRecord, CronStore } from "../../../agent/cron/cron_store.ts";

function record(n: number, jobId = "job-a"): CronRunRecord {
  const at = new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString();
  return {
    id: `run-${n}`,
    jobId,
    trigger: "schedule",
    start: at,
    end: at,
    durationMs: 0,
    status: "ok",
  };
}

async function lineCount(path: string): Promise<number> {
  return (await Deno.readTextFile(path)).split("\n").filter(Boolean).length;
}

Deno.test("CronStore trims the history when every run happens in a new process (a gateway restarted after each run)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cron-store-" });
  try {
    const keep = 5;
    for (let n = 0; n < 30; n++) {
      await new CronStore(join(dir, "cron")).appendHistory(record(n), keep);
    }
    const store = new CronStore(join(dir, "cron"));
    assert(await lineCount(store.historyFile) <= 2 * keep, "the file stays near `keep` records");
    const newest = await store.readHistory({ limit: 50, keep });
    assertEquals(newest.map((r) => r.id), ["run-29", "run-28", "run-27", "run-26", "run-25"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CronStore in one long-running process keeps at most about twice `keep` records", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cron-store-" });
  try {
    const keep = 10;
    const store = new CronStore(join(dir, "cron"));
    let most = 0;
    for (let n = 0; n < 100; n++) {
      await store.appendHistory(record(n), keep);
      most = Math.max(most, await lineCount(store.historyFile));
    }
    assert(most <= 2 * keep + 1, `at most ${most} records`);
    const [latest] = await store.readHistory({ limit: 1, keep });
    assertEquals(latest.id, "run-99");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CronStore keeps a record appended onto the torn end of a crashed write", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cron-store-" });
  try {
    const store = new CronStore(join(dir, "cron"));
    await Deno.mkdir(join(dir, "cron"));
    const whole = [0, 1, 2].map((n) => JSON.stringify(record(n)) + "\n").join("");
    // A crash cut the last write short: the next append lands on the same line.
    await Deno.writeTextFile(store.historyFile, whole + '{"id":"run-torn","jobId":"jo');
    await store.appendHistory(record(10), 3);
    const newest = await store.readHistory({ limit: 50, keep: 3 });
    assertEquals(newest.map((r) => r.id), ["run-10", "run-2", "run-1"]);
    // The trim that first append ran kept it too, without the torn part.
    assertEquals((await Deno.readTextFile(store.historyFile)).includes("run-torn"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CronStore records a run even when the trim after it fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cron-store-" });
  const deno = Deno as unknown as Record<string, unknown>;
  const rename = Deno.rename;
  try {
    const store = new CronStore(join(dir, "cron"));
    // A full disk: the trim's rewrite cannot land.
    deno.rename = () => Promise.reject(new Deno.errors.PermissionDenied("no space left"));
    for (let n = 0; n < 3; n++) await store.appendHistory(record(n), 1);
    deno.rename = rename;
    const newest = await store.readHistory({ limit: 50, keep: 5 });
    assertEquals(newest.map((r) => r.id), ["run-2", "run-1", "run-0"]);
  } finally {
    deno.rename = rename;
    await Deno.remove(dir, { recursive: true });
  }
});
