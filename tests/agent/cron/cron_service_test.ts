import { join } from "node:path";
import { assert, assertEquals, assertRejects, waitFor } from "../../_helpers/assert.ts";
import { ManualClock } from "../../_helpers/manual_clock.ts";
import { GatewayError } from "../../../core/errors.ts";
import { Logger } from "../../../core/logger.ts";
import {
  type CronRunner,
  CronService,
  type CronSettings,
} from "../../../agent/cron/cron_service.ts";

const logger = new Logger({ consoleLevel: "silent" });

interface Turn {
  agentId: string;
  sessionId: string;
  message: string;
}

/** A runner that answers by echoing, or with what `answer` returns. */
function recordingRunner(
  answer: (turn: Turn, signal: AbortSignal) => Promise<string> = (t) =>
    Promise.resolve(`echo: ${t.message}`),
) {
  const turns: Turn[] = [];
  const runner: CronRunner = {
    run: (turn, signal) => {
      turns.push(turn);
      return answer(turn, signal);
    },
    checkAgent: (id) => {
      if (id !== "main" && id !== "helper") {
        throw new GatewayError("NOT_FOUND", `Agent not found: ${id}`);
      }
    },
  };
  return { runner, turns };
}

async function withService(
  fn: (
    ctx: {
      dir: string;
      /** The time every service of the test runs on. */
      clock: ManualClock;
      make: (runner: CronRunner, settings?: Partial<CronSettings>) => CronService;
    },
  ) => Promise<void>,
) {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cron-" });
  const services: CronService[] = [];
  const clock = new ManualClock();
  try {
    await fn({
      dir,
      clock,
      make: (runner, settings = {}) => {
        const service = new CronService({
          cronDir: join(dir, "cron"),
          runner,
          logger,
          clock,
          settings: () => ({
            enabled: true,
            missedRuns: "run-once",
            historyLimit: 50,
            ...settings,
          }),
        });
        services.push(service);
        return service;
      },
    });
  } finally {
    for (const service of services) await service.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("CronService runs a job on time and records its answer in the history", async () => {
  await withService(async ({ clock, make }) => {
    const { runner, turns } = recordingRunner();
    const cron = make(runner);
    await cron.start();
    const job = await cron.add({ cron: "* * * * * *", message: "ping", agentId: "helper" });
    assertEquals(job.sessionId, `cron-${job.id}`);
    assertEquals(turns.length, 0, "nothing runs before its time");
    await clock.advance(1_000);
    // The run was started on time; it records its end on disk, which takes real time.
    await waitFor(async () => (await cron.history({ jobId: job.id, limit: 10 })).length > 0);
    const [record] = await cron.history({ jobId: job.id, limit: 10 });
    assertEquals(record.status, "ok");
    assertEquals(record.trigger, "schedule");
    assertEquals(record.preview, "echo: ping");
    assert(Date.parse(record.end) >= Date.parse(record.start));
    assertEquals(turns[0], { agentId: "helper", sessionId: job.sessionId, message: "ping" });
    const [listed] = await cron.list();
    assert(listed.lastRunAt, "lastRunAt is kept");
    assertEquals(listed.lastStatus, "ok");
  });
});

Deno.test("CronService refuses bad expressions, timezones and agents, and saves nothing", async () => {
  await withService(async ({ make }) => {
    const cron = make(recordingRunner().runner);
    for (const expression of ["* * * *", "61 * * * *", "not cron", "* * * * * * *", "0 0 30 2 *"]) {
      const error = await assertRejects(
        () => cron.add({ cron: expression, message: "x" }),
        GatewayError,
      );
      assertEquals(error.code, "INVALID_PARAMS", expression);
    }
    const tz = await assertRejects(
      () => cron.add({ cron: "0 9 * * 1-5", message: "x", timezone: "Mars/Olympus" }),
      GatewayError,
    );
    assertEquals(tz.code, "INVALID_PARAMS");
    const agent = await assertRejects(
      () => cron.add({ cron: "0 9 * * *", message: "x", agentId: "ghost" }),
      GatewayError,
    );
    assertEquals(agent.code, "NOT_FOUND");
    assertEquals(await cron.list(), []);
    const missing = await assertRejects(() => cron.remove("job_nope"), GatewayError);
    assertEquals(missing.code, "NOT_FOUND");
  });
});

Deno.test("CronService records failures, never overlaps a job with itself, and stops runs of removed jobs", async () => {
  await withService(async ({ clock, make }) => {
    let calls = 0;
    let aborted = false;
    const { runner, turns } = recordingRunner(async (_turn, signal) => {
      calls++;
      if (calls === 1) throw new Error("Provider unreachable: http://127.0.0.1:9");
      // The second run is still going when the next second comes; stopping the service ends it.
      await new Promise((_resolve, reject) => {
        signal.addEventListener("abort", () => {
          aborted = true;
          reject(new Error("aborted"));
        });
      });
      return "slow answer";
    });
    const cron = make(runner);
    const job = await cron.add({ cron: "* * * * * *", message: "work" });
    const records = () => cron.history({ jobId: job.id, limit: 50 });
    await clock.advance(1_000);
    await waitFor(
      async () => (await records()).some((r) => r.status === "error"),
      20_000,
      "a failure",
    );
    await clock.advance(1_000);
    assertEquals(turns.length, 2, "the second run started");
    await clock.advance(1_000);
    await waitFor(
      async () => (await records()).some((r) => r.status === "skipped"),
      20_000,
      "a skipped run",
    );
    assertEquals(turns.length, 2, "the run that came due while the last one ran was skipped");
    const recorded = await records();
    const failed = recorded.find((r) => r.status === "error");
    assertEquals(failed?.error, "Provider unreachable: http://127.0.0.1:9");
    const skipped = recorded.find((r) => r.status === "skipped");
    assertEquals(skipped?.error, "The previous run is still running");
    await cron.remove(job.id);
    assertEquals(await cron.list(), []);
    // The removed job's run is still going; shutting down aborts it rather than waiting on it.
    await cron.stop();
    assert(aborted, "stop aborts the run of a job removed while it ran");
  });
});

Deno.test("CronService jobs survive a restart, and missed runs follow cron.missedRuns", async () => {
  await withService(async ({ dir, clock, make }) => {
    const first = make(recordingRunner().runner);
    const job = await first.add({ cron: "0 3 * * *", message: "nightly" });
    await first.stop();
    // Pretend the job was made two days ago and never ran: its 03:00 runs were missed.
    const jobsFile = join(dir, "cron", "jobs.json");
    const saved = JSON.parse(await Deno.readTextFile(jobsFile));
    saved.jobs[0].createdAt = new Date(clock.now() - 2 * 86_400_000).toISOString();
    await Deno.writeTextFile(jobsFile, JSON.stringify(saved));

    const skipping = recordingRunner();
    const second = make(skipping.runner, { missedRuns: "skip" });
    assertEquals((await second.list()).map((j) => [j.id, j.message]), [[job.id, "nightly"]]);
    const [skipped] = await second.history({ jobId: job.id, limit: 5 });
    assertEquals([skipped.trigger, skipped.status], ["missed", "skipped"]);
    assertEquals(skipping.turns.length, 0);
    await second.stop();

    // The skip moved lastRunAt on, so make the job overdue again for the run-once policy.
    const again = JSON.parse(await Deno.readTextFile(jobsFile));
    delete again.jobs[0].lastRunAt;
    await Deno.writeTextFile(jobsFile, JSON.stringify(again));
    const catching = recordingRunner();
    const third = make(catching.runner, { missedRuns: "run-once" });
    await third.start();
    await waitFor(async () =>
      (await third.history({ jobId: job.id, limit: 5 }))[0]?.trigger === "catch-up"
    );
    assertEquals(catching.turns.length, 1, "two missed runs make one catch-up run");
  });
});
