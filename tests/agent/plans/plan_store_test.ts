import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../../_helpers/assert.ts";
import { toolContext } from "../../_helpers/tool_context.ts";
import { GatewayError } from "../../../core/errors.ts";
import { Logger } from "../../../core/logger.ts";
import { PlanStore, type PlanStoreOptions } from "../../../agent/plans/plan_store.ts";
import { planTool } from "../../../tools/plans/plan_tool.ts";
import type { Plan } from "../../../tools/plans/plan_types.ts";

const logger = new Logger({ consoleLevel: "silent" });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-plans-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function store(dir: string, options: Partial<PlanStoreOptions> = {}): PlanStore {
  return new PlanStore({ dir, logger, ...options });
}

Deno.test("plan tool creates a plan, marks steps and completes it, saving every change", async () => {
  await withDir(async (dir) => {
    const plans = store(dir);
    await using tc = await toolContext({ services: { plans } });
    const created = await tc.call(planTool, {
      action: "create",
      title: "Write the report",
      steps: ["Collect data", "Draft", "Review"],
    });
    const plan = created.data as Plan;
    assertMatch(created.content, /1\. \[ \] Collect data/);
    assertMatch(created.content, /Next: step 1/);
    assertEquals(plan.status, "active");
    const onDisk = JSON.parse(await Deno.readTextFile(join(dir, `${plan.id}.json`))) as Plan;
    assertEquals(onDisk.steps.map((s) => s.title), ["Collect data", "Draft", "Review"]);

    await tc.call(planTool, { action: "complete_step", stepId: 1, note: "42 rows" });
    await tc.call(planTool, { action: "update", stepId: 2, status: "in_progress" });
    const shown = await tc.call(planTool, { action: "show" });
    assertMatch(shown.content, /1\. \[x\] Collect data — 42 rows/);
    assertMatch(shown.content, /2\. \[>\] Draft/);

    const bad = await tc.call(planTool, { action: "complete_step", stepId: 9 });
    assert(bad.isError);
    assertMatch(bad.content, /No step 9/);

    await tc.call(planTool, { action: "update", stepId: 2, status: "done" });
    const done = await tc.call(planTool, { action: "update", stepId: 3, status: "skipped" });
    assertEquals((done.data as Plan).status, "completed");
    assertEquals((await plans.get(plan.id)).status, "completed");
    const none = await tc.call(planTool, { action: "show" });
    assert(none.isError, "a completed plan is not current");
  });
});

Deno.test("plan tool pauses on request and when its run is aborted", async () => {
  await withDir(async (dir) => {
    const plans = store(dir);
    await using tc = await toolContext({ services: { plans } });
    await tc.call(planTool, { action: "create", title: "A", steps: ["one", "two"] });
    const paused = await tc.call(planTool, { action: "pause", reason: "waiting for the user" });
    assertEquals((paused.data as Plan).status, "paused");
    assertEquals((paused.data as Plan).pausedReason, "waiting for the user");

    const abort = new AbortController();
    await using run = await toolContext({ services: { plans }, signal: abort.signal });
    const second = (await run.call(planTool, { action: "create", title: "B", steps: ["x"] }))
      .data as Plan;
    // The new plan of the session replaces the paused one.
    assertEquals((await plans.get((paused.data as Plan).id)).status, "cancelled");
    abort.abort();
    await waitFor(async () => (await plans.get(second.id)).status === "paused");
    assertEquals((await plans.get(second.id)).pausedReason, "aborted");
  });
});

Deno.test("plan store: an active plan left by a killed gateway is paused at the next start", async () => {
  await withDir(async (dir) => {
    const first = store(dir);
    const plan = await first.create({ agentId: "main", sessionId: "s", title: "T", steps: ["a"] });
    assertEquals(plan.status, "active");
    // No close(): the process died. A new store over the same folder recovers.
    const second = store(dir);
    const [listed] = await second.list();
    assertEquals(listed.status, "paused");
    assertEquals(listed.pausedReason, "gateway stopped");
  });
});

Deno.test("plan store resume runs the agent from the first unfinished step; errors for bad ids", async () => {
  await withDir(async (dir) => {
    const messages: string[] = [];
    let active = false;
    const plans = store(dir, {
      isRunActive: () => active,
      runAgent: async (plan, message) => {
        active = true;
        messages.push(message);
        await plans.update(plan.id, (p) => {
          for (const step of p.steps) step.status = "done";
        });
        active = false;
        return {};
      },
    });
    const plan = await plans.create({
      agentId: "main",
      sessionId: "s",
      title: "Trip",
      steps: ["Book", "Pack", "Go"],
    });
    await plans.update(plan.id, (p) => (p.steps[0].status = "done"));

    // No run works on it any more: it counts as paused.
    assertEquals((await plans.get(plan.id)).status, "paused");
    assertEquals((await plans.get(plan.id)).pausedReason, "run ended");

    const result = await plans.resume(plan.id);
    assertEquals(result.resumed, true);
    assertEquals(result.plan.status, "active");
    await plans.close();
    assertMatch(messages[0], /Continue from step 2: Pack/);
    assertMatch(messages[0], /1\. \[done\] Book/);
    assertEquals((await plans.get(plan.id)).status, "completed");

    const notPaused = await assertRejects(() => plans.resume(plan.id), GatewayError);
    assertEquals(notPaused.code, "INVALID_PARAMS");
    for (const id of ["plan_nope", "../../etc/passwd", "x"]) {
      assertEquals((await assertRejects(() => plans.get(id), GatewayError)).code, "NOT_FOUND");
      assertEquals((await assertRejects(() => plans.resume(id), GatewayError)).code, "NOT_FOUND");
      assertEquals((await assertRejects(() => plans.delete(id), GatewayError)).code, "NOT_FOUND");
    }
    assertEquals(await plans.delete(plan.id), { deleted: true });
    assertEquals((await plans.list()).length, 0);
  });
});

Deno.test("plan store: a resumed run that is aborted pauses the plan again", async () => {
  await withDir(async (dir) => {
    const plans = store(dir, {
      isRunActive: () => false,
      runAgent: () => Promise.resolve({ aborted: true }),
    });
    const plan = await plans.create({
      agentId: "main",
      sessionId: "s",
      title: "T",
      steps: ["a", "b"],
    });
    await plans.pauseAll();
    await plans.resume(plan.id);
    await plans.close();
    const after = await plans.get(plan.id);
    assertEquals(after.status, "paused");
    assertEquals(after.pausedReason, "aborted");
  });
});

Deno.test("pauseOwn pauses only the plans this store wrote, not another process's", async () => {
  await withDir(async (dir) => {
    const gateway = store(dir);
    const local = store(dir);
    // Both have recovered (nothing was left active) before either writes.
    await Promise.all([gateway.list(), local.list()]);
    const theirs = await gateway.create({
      agentId: "main",
      sessionId: "a",
      title: "T",
      steps: ["x"],
    });
    const mine = await local.create({ agentId: "main", sessionId: "b", title: "M", steps: ["y"] });
    await local.pauseOwn("local run ended");
    assertEquals((await gateway.get(theirs.id)).status, "active");
    const own = await gateway.get(mine.id);
    assertEquals([own.status, own.pausedReason], ["paused", "local run ended"]);
  });
});
