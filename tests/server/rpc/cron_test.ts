import { join } from "node:path";
import { assert, assertEquals, assertRejects, waitFor } from "../../_helpers/assert.ts";
import { GatewayError } from "../../../core/errors.ts";
import type { GatewayClient } from "../../../core/protocol/client.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { ManualClock } from "../../_helpers/manual_clock.ts";
import { startTestGateway } from "../../_helpers/gateway.ts";

interface Job {
  id: string;
  cron: string;
  message: string;
  agentId: string;
  sessionId: string;
  timezone?: string;
  nextRunAt: string | null;
  lastRunAt?: string;
}
interface Record {
  jobId: string;
  start: string;
  end: string;
  status: string;
  error?: string;
  preview?: string;
}

const history = (client: GatewayClient, params: { jobId?: string; limit?: number } = {}) =>
  client.request("cron.history", params);

Deno.test("cron.add runs the agent on schedule; history, list and remove", async () => {
  const clock = new ManualClock();
  await using env = await startChatGateway({ inProcess: true, clock });
  const client = await env.gw.connect();
  const { id } = await client.request("cron.add", {
    cron: "* * * * * *",
    message: "status report please",
  });
  assertEquals((await history(client, { jobId: id })).count, 0, "nothing runs before its time");
  await clock.advance(1_000);
  await waitFor(async () => (await history(client, { jobId: id })).count > 0, 20_000, "a run");
  const { records } = await history(client, { jobId: id });
  assertEquals(records[0].status, "ok", records[0].error);
  assert(records[0].preview?.includes("status report please"), records[0].preview);
  const asked = env.upstream.requests.at(-1)?.body.messages.at(-1).content;
  assert(
    JSON.stringify(asked).includes("status report please"),
    "the job's message reached the model",
  );

  const jobs = await client.request("cron.list");
  assert(Array.isArray(jobs));
  assertEquals(jobs.map((j) => [j.id, j.cron, j.agentId]), [[id, "* * * * * *", "main"]]);
  const session = join(env.gw.paths.sessionsDir("main"), `${jobs[0].sessionId}.jsonl`);
  assert((await Deno.readTextFile(session)).includes("status report please"));

  assertEquals(await client.request("cron.remove", { id }), { ok: true });
  assertEquals(await client.request("cron.list"), []);
  await clock.advance(5_000);
  assertEquals(env.gw.gateway.services.chat.isActive("main", jobs[0].sessionId), false);
  assertEquals((await history(client, { jobId: id })).count, 1, "no runs after removal");
});

Deno.test("cron: a job added on a real gateway runs on the machine's clock", async () => {
  await using env = await startChatGateway();
  const client = await env.gw.connect();
  const { id } = await client.request("cron.add", { cron: "* * * * * *", message: "tick tock" });
  await waitFor(async () => (await history(client, { jobId: id })).count > 0, 20_000, "a run");
  const { records } = await history(client, { jobId: id });
  assertEquals(records[0].status, "ok", records[0].error);
  assert(records[0].preview?.includes("tick tock"), records[0].preview);
  assertEquals(await client.request("cron.remove", { id }), { ok: true });
});

Deno.test("cron.add refuses bad expressions and unknown agents; unknown ids are NOT_FOUND", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  for (
    const params of [
      { cron: "every day", message: "x" },
      { cron: "* * *", message: "x" },
      { cron: "0 25 * * *", message: "x" },
      { cron: "0 9 * * *", message: "x", timezone: "Nowhere/Special" },
      { cron: "0 9 * * *", message: "" },
    ]
  ) {
    const error = await assertRejects(() => client.request("cron.add", params), GatewayError);
    assertEquals(error.code, "INVALID_PARAMS", JSON.stringify(params));
  }
  const agent = await assertRejects(
    () => client.request("cron.add", { cron: "0 9 * * *", message: "x", agentId: "ghost" }),
    GatewayError,
  );
  assertEquals(agent.code, "NOT_FOUND");
  const remove = await assertRejects(
    () => client.request("cron.remove", { id: "job_x" }),
    GatewayError,
  );
  assertEquals(remove.code, "NOT_FOUND");
  const hist = await assertRejects(() => history(client, { jobId: "job_x" }), GatewayError);
  assertEquals(hist.code, "NOT_FOUND");
  assertEquals(await client.request("cron.list"), []);
});

Deno.test("cron jobs and history survive a gateway restart", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-cron-restart-" });
  const clock = new ManualClock();
  try {
    let id: string;
    {
      await using env = await startChatGateway({ inProcess: true, stateDir, clock });
      const client = await env.gw.connect();
      ({ id } = await client.request("cron.add", {
        cron: "*/2 * * * * *",
        message: "tick",
      }));
      await client.request("cron.add", {
        cron: "30 8 * * 1-5",
        message: "weekday briefing",
        timezone: "Europe/Berlin",
      });
      await clock.advance(2_000);
      await waitFor(async () => (await history(client, { jobId: id })).count > 0, 20_000);
    }
    await using env = await startChatGateway({ inProcess: true, stateDir, clock });
    const client = await env.gw.connect();
    const jobs = await client.request("cron.list");
    assertEquals(jobs.map((j) => j.message).sort(), ["tick", "weekday briefing"]);
    const briefing = jobs.find((j) => j.message === "weekday briefing")!;
    assertEquals(briefing.timezone, "Europe/Berlin");
    const next = new Date(briefing.nextRunAt!);
    const berlin = new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/Berlin",
      hour: "2-digit",
      minute: "2-digit",
      weekday: "short",
    }).format(next);
    assert(/^(Mon|Tue|Wed|Thu|Fri) 08:30$/.test(berlin), berlin);
    const before = (await history(client, { jobId: id })).count;
    assert(before >= 1, "the history from before the restart is kept");
    await clock.advance(2_000);
    await waitFor(async () => (await history(client, { jobId: id })).count > before, 20_000);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("cron.history answers from the newest cron.historyLimit records of a long history file, newest first", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-cron-history-" });
  try {
    // A file a gateway that restarted more often than it trimmed left behind, with a torn line.
    const lines = Array.from({ length: 300 }, (_, n) =>
      JSON.stringify({
        id: `run-${n}`,
        jobId: n % 2 ? "job-odd" : "job-even",
        trigger: "schedule",
        start: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
        end: new Date(Date.UTC(2026, 0, 1, 0, n)).toISOString(),
        durationMs: 1,
        status: "ok",
      }));
    lines.splice(297, 0, '{"id":"torn');
    await Deno.mkdir(join(stateDir, "cron"), { recursive: true });
    await Deno.writeTextFile(join(stateDir, "cron", "history.jsonl"), lines.join("\n") + "\n");
    await using gw = await startTestGateway({ stateDir, config: { cron: { historyLimit: 6 } } });
    const client = await gw.connect();
    const all = await history(client);
    assertEquals(all.records.map((r) => r.id), [
      "run-299",
      "run-298",
      "run-297",
      "run-296",
      "run-295",
      "run-294",
    ]);
    assertEquals(all.count, 6);
    const odd = await history(client, { jobId: "job-odd", limit: 2 });
    assertEquals(odd.records.map((r) => r.id), ["run-299", "run-297"]);
    const gone = await assertRejects(() => history(client, { jobId: "job-gone" }), GatewayError);
    assertEquals(gone.code, "NOT_FOUND");
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});
