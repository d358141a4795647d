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
import { execTool } from "../../../tools/exec.ts";
import { ExecApprovalBroker } from "../../../tools/exec_approvals.ts";
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

/** Writes `count` finished plans (and two open ones of other sessions) straight to `dir`. */
async function seedPlans(dir: string, count: number): Promise<void> {
  const at = "2025-01-01T00:00:00.000Z";
  const plan = (i: number, status: Plan["status"], sessionId: string): Plan => ({
    id: `plan_old${i}`,
    title: `Old ${i}`,
    status,
    steps: [{ id: 1, title: "x", status: "done", updatedAt: at }],
    agentId: "main",
    sessionId,
    createdAt: at,
    updatedAt: at,
  });
  const plans = Array.from({ length: count }, (_, i) =>
    // Some are the test session's own: finished, they are not current either.
    plan(i, i % 2 ? "completed" : "cancelled", i % 3 ? `s${i}` : "test-session"));
  plans.push(plan(count, "paused", "other"), plan(count + 1, "paused", "another"));
  for (const p of plans) await Deno.writeTextFile(join(dir, `${p.id}.json`), JSON.stringify(p));
}

/** The paths under `dir` that `Deno` file system calls touched while `work` ran. */
async function pathsTouched(dir: string, work: () => Promise<unknown>): Promise<string[]> {
  const touched: string[] = [];
  const deno = Deno as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  const names = [
    "open",
    "readFile",
    "readTextFile",
    "readDir",
    "stat",
    "lstat",
    "rename",
    "remove",
  ];
  for (const name of names.flatMap((name) => [name, `${name}Sync`])) {
    const original = deno[name];
    originals.set(name, original);
    deno[name] = function (this: unknown, ...args: unknown[]) {
      const path = String(args[0]);
      if (path.startsWith(dir)) touched.push(`${name} ${path.slice(dir.length + 1) || "."}`);
      return (original as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  try {
    await work();
  } finally {
    for (const [name, original] of originals) deno[name] = original;
  }
  return touched;
}

/** True for a call that touched nothing but the folder's own entry and `plan`'s file. */
function onlyItsOwn(plan: Plan): (call: string) => boolean {
  return (call) => (/ \.$/.test(call) && !call.startsWith("readDir")) || call.includes(plan.id);
}

Deno.test("plan tool: a step or an abort reads only its plan's file, however many finished plans there are", async () => {
  await withDir(async (dir) => {
    await seedPlans(dir, 300);
    const plans = store(dir);
    const abort = new AbortController();
    await using tc = await toolContext({ services: { plans }, signal: abort.signal });
    const plan = (await tc.call(planTool, { action: "create", title: "T", steps: ["a", "b"] }))
      .data as Plan;
    const touched = await pathsTouched(dir, async () => {
      await tc.call(planTool, { action: "update", stepId: 1, status: "in_progress" });
      await tc.call(planTool, { action: "complete_step", stepId: 1, note: "done" });
      await tc.call(planTool, { action: "show" });
      abort.abort();
      await waitFor(async () => (await plans.get(plan.id)).status === "paused");
    });
    assertEquals(touched.filter((call) => !onlyItsOwn(plan)(call)), []);
    assert(touched.some((call) => call === `readTextFile ${plan.id}.json`), touched.join("\n"));
    const after = await plans.get(plan.id);
    assertEquals([after.steps[0].note, after.pausedReason], ["done", "aborted"]);
    assertEquals((await plans.list()).length, 303);
  });
});

Deno.test("plan store: the end of a resumed run reads only its plan's file", async () => {
  await withDir(async (dir) => {
    await seedPlans(dir, 300);
    let ended: () => void = () => {};
    const plans = store(dir, {
      isRunActive: () => false,
      runAgent: () => new Promise((resolve) => (ended = () => resolve({}))),
    });
    const plan = await plans.create({ agentId: "main", sessionId: "s", title: "T", steps: ["a"] });
    await plans.pauseAll();
    await plans.resume(plan.id);
    const touched = await pathsTouched(dir, async () => {
      ended();
      await plans.close();
    });
    assertEquals(touched.filter((call) => !onlyItsOwn(plan)(call)), []);
    const after = await plans.get(plan.id);
    assertEquals([after.status, after.pausedReason], ["paused", "run ended"]);
  });
});

Deno.test("exec approval pauses and resumes the session's plan, reading only that plan's file", async () => {
  await withDir(async (dir) => {
    await seedPlans(dir, 300);
    const plans = store(dir);
    const broker = new ExecApprovalBroker(() => {});
    await using tc = await toolContext({ services: { plans, approvals: broker } });
    const plan = (await tc.call(planTool, { action: "create", title: "T", steps: ["a"] }))
      .data as Plan;
    const touched = await pathsTouched(dir, async () => {
      const ran = tc.call(execTool, { command: "echo ok" });
      const request = await waitFor(() => broker.pending()[0], 20_000, "approval request");
      const waiting = await plans.get(plan.id);
      assertEquals([waiting.status, waiting.pausedReason], ["paused", "awaiting approval"]);
      broker.resolve(request.requestId, true);
      assertEquals(((await ran).data as { stdout: string }).stdout, "ok\n");
    });
    assertEquals(touched.filter((call) => !onlyItsOwn(plan)(call)), []);
    const after = await plans.get(plan.id);
    assertEquals([after.status, after.pausedReason], ["active", undefined]);
  });
});

/**
 * What another process's write does to the folder, made certain: its modification time moves
 * (to a time of its own; a real write in the same clock tick as the store's look would not
 * move it, which the index's module doc owns up to).
 */
let foreignChanges = 0;
const foreignChange = (dir: string) => {
  const time = new Date(Date.now() + ++foreignChanges * 60_000);
  return Deno.utime(dir, time, time);
};

Deno.test("plan store sees the plans another process writes, removes or restores after its first look", async () => {
  await withDir(async (dir) => {
    await seedPlans(dir, 20);
    const gateway = store(dir);
    const other = store(dir);
    // Both have recovered (nothing was left active) before either writes.
    await other.list();
    const own = await gateway.create({ agentId: "main", sessionId: "a", title: "O", steps: ["o"] });
    assertEquals(await gateway.current("main", "b"), undefined);

    const theirs = await other.create({
      agentId: "main",
      sessionId: "b",
      title: "T",
      steps: ["x"],
    });
    await foreignChange(dir);
    // The gateway's own write after it, with no look in between, does not hide it.
    await gateway.update(own.id, (plan) => (plan.steps[0].status = "in_progress"));
    assertEquals((await gateway.current("main", "b"))?.id, theirs.id);
    await other.update(theirs.id, (plan) => (plan.steps[0].status = "done"));
    await foreignChange(dir);
    assertEquals(await gateway.current("main", "b"), undefined);

    const again = await other.create({ agentId: "main", sessionId: "b", title: "U", steps: ["y"] });
    await foreignChange(dir);
    assertEquals((await gateway.current("main", "b"))?.id, again.id);
    await Deno.remove(join(dir, `${again.id}.json`));
    await foreignChange(dir);
    assertEquals(await gateway.current("main", "b"), undefined);

    // A restore puts another folder in place, with an older version of a finished plan.
    const restored = `${dir}.restored`;
    await Deno.mkdir(restored);
    const older: Plan = { ...theirs, status: "paused", pausedReason: "gateway stopped" };
    await Deno.writeTextFile(join(restored, `${theirs.id}.json`), JSON.stringify(older));
    await Deno.rename(dir, `${dir}.replaced`);
    await Deno.rename(restored, dir);
    await Deno.remove(`${dir}.replaced`, { recursive: true });
    assertEquals((await gateway.current("main", "b"))?.id, theirs.id);
  });
});
