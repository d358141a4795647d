import { join } from "node:path";
import { assertEquals, assertThrows, waitFor } from "../../_helpers/assert.ts";
import { ManualClock } from "../../_helpers/manual_clock.ts";
import { GatewayError } from "../../../core/errors.ts";
import { Logger } from "../../../core/logger.ts";
import { parseSchedule } from "../../../agent/cron/cron_schedule.ts";
import { CronService } from "../../../agent/cron/cron_service.ts";

const logger = new Logger({ consoleLevel: "silent" });

Deno.test("parseSchedule @every keeps its beat from the anchor", () => {
  const anchor = new Date("2026-01-01T00:00:00Z");
  const every = parseSchedule("@every 7200s", undefined, { anchor, requireFuture: false });
  assertEquals(every.once, false);
  assertEquals(every.expression, "@every 7200s");
  assertEquals(every.nextRun(anchor), new Date("2026-01-01T02:00:00Z"));
  // Restarted at 05:30, the next beat is still on the even hours counted from the anchor.
  assertEquals(every.nextRun(new Date("2026-01-01T05:30:00Z")), new Date("2026-01-01T06:00:00Z"));
  assertEquals(every.nextRun(new Date("2026-01-01T06:00:00Z")), new Date("2026-01-01T08:00:00Z"));
});

Deno.test("parseSchedule @at runs once, in UTC, and refuses a time already past", () => {
  const future = new Date(Date.now() + 3_600_000);
  const at = parseSchedule(`@at ${future.toISOString().replace("Z", "+00:00")}`);
  assertEquals([at.once, at.expression], [true, `@at ${future.toISOString()}`]);
  assertEquals(at.nextRun(new Date()), future);
  assertEquals(at.nextRun(future), null);
  for (
    const bad of ["@at 2001-01-01T00:00:00Z", "@at tomorrow", "@every 0s", "@every 5m", "@hourly"]
  ) {
    const error = assertThrows(() => parseSchedule(bad), GatewayError);
    assertEquals(error.code, "INVALID_PARAMS", bad);
  }
  // A saved job may be overdue: loading it is not an error.
  const overdue = parseSchedule("@at 2001-01-01T00:00:00Z", undefined, { requireFuture: false });
  assertEquals(overdue.nextRun(new Date(0)), new Date("2001-01-01T00:00:00Z"));
  // "In the past" is judged by the caller's clock, not the machine's.
  const then = new Date("2000-06-01T00:00:00Z");
  assertEquals(parseSchedule("@at 2001-01-01T00:00:00Z", undefined, { now: then }).once, true);
});

Deno.test("CronService: an @at job runs once and is removed; an overdue one catches up after a restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cron-once-" });
  const turns: string[] = [];
  const clock = new ManualClock();
  const make = () =>
    new CronService({
      cronDir: join(dir, "cron"),
      logger,
      clock,
      settings: () => ({ enabled: true, missedRuns: "run-once", historyLimit: 50 }),
      runner: {
        run: (turn) => {
          turns.push(turn.message);
          return Promise.resolve("done");
        },
      },
    });
  const cron = make();
  try {
    const soon = new Date(clock.now() + 300).toISOString();
    const job = await cron.add({ cron: `@at ${soon}`, message: "once" });
    assertEquals(turns, [], "not before its time");
    await clock.advance(300);
    await waitFor(async () => (await cron.list()).length === 0, 20_000, "the job to go");
    assertEquals(turns, ["once"]);
    assertEquals((await cron.history({ jobId: job.id, limit: 5 })).map((r) => r.status), ["ok"]);

    // A one-time job whose time passed while the gateway was down.
    const later = await cron.add({
      cron: `@at ${new Date(clock.now() + 3_600_000).toISOString()}`,
      message: "late",
    });
    await cron.stop();
    const jobsFile = join(dir, "cron", "jobs.json");
    const saved = JSON.parse(await Deno.readTextFile(jobsFile));
    saved.jobs[0].cron = `@at ${new Date(clock.now() - 60_000).toISOString()}`;
    saved.jobs[0].createdAt = new Date(clock.now() - 120_000).toISOString();
    await Deno.writeTextFile(jobsFile, JSON.stringify(saved));
    const restarted = make();
    try {
      await restarted.start();
      await waitFor(async () => (await restarted.list()).length === 0, 20_000, "the catch-up");
      assertEquals(turns, ["once", "late"]);
      const [record] = await restarted.history({ jobId: later.id, limit: 5 });
      assertEquals([record.trigger, record.status], ["catch-up", "ok"]);
    } finally {
      await restarted.stop();
    }
  } finally {
    await cron.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
