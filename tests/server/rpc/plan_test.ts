import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";
import { GatewayError } from "../../../core/errors.ts";
import type { GatewayClient } from "../../../core/protocol/client.ts";
import type { Plan } from "../../../tools/plans/plan_types.ts";

function planCall(args: Record<string, unknown>) {
  return { name: "plan", arguments: args };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return (await assertRejects(() => promise, GatewayError)).code;
}

async function firstPlan(client: GatewayClient): Promise<Plan | undefined> {
  return (await client.request("plan.list")).plans[0];
}

async function onlyPlan(client: GatewayClient): Promise<Plan> {
  const { plans, count } = await client.request("plan.list");
  assertEquals(count, 1);
  return plans[0];
}

Deno.test("plan lifecycle: written in a chat, paused when the run ends, kept across a restart, resumed to completion", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-plan-" });
  try {
    let planId: string;
    {
      await using env = await startChatGateway({ inProcess: true, stateDir });
      const client = await env.gw.connect();
      assertEquals(await client.request("plan.list"), { plans: [], count: 0 });
      env.upstream.reply(
        {
          toolCalls: [planCall({ action: "create", title: "Trip", steps: ["Book", "Pack", "Go"] })],
        },
        { toolCalls: [planCall({ action: "complete_step", stepId: 1, note: "train at 9" })] },
        { text: "Booked. The rest later." },
      );
      await client.request("chat.send", { message: "Plan my trip" });
      const plan = await onlyPlan(client);
      planId = plan.id;
      assertEquals(plan.status, "paused");
      assertEquals(plan.pausedReason, "run ended");
      assertEquals(plan.steps.map((s) => s.status), ["done", "pending", "pending"]);
      assertEquals([plan.agentId, plan.sessionId], ["main", "main"]);
    }
    {
      await using env = await startChatGateway({ inProcess: true, stateDir });
      const client = await env.gw.connect();
      const kept = await client.request("plan.get", { planId });
      assertEquals(kept.status, "paused");
      assertEquals(kept.steps[0].note, "train at 9");

      const events = recordEvents(client);
      env.upstream.reply(
        {
          toolCalls: [
            planCall({ action: "complete_step", stepId: 2 }),
            planCall({ action: "complete_step", stepId: 3 }),
          ],
        },
        { text: "All done" },
      );
      const resumed = await client.request("plan.resume", {
        planId,
      });
      assertEquals(resumed.resumed, true);
      assertEquals(resumed.plan.status, "active");
      await events.next("chat.done", undefined, 20_000);
      const prompt = JSON.stringify(env.upstream.requests[0].body.messages.at(-1));
      assertMatch(prompt, /Continue from step 2: Pack/);
      const done = await waitFor(async () => {
        const plan = await client.request("plan.get", { planId });
        return plan.status === "completed" && plan;
      });
      assert(done);
      assertEquals(done.steps.map((s) => s.status), ["done", "done", "done"]);

      assertEquals(await codeOf(client.request("plan.resume", { planId })), "INVALID_PARAMS");
      for (const method of ["plan.get", "plan.resume", "plan.delete"]) {
        assertEquals(
          await codeOf(client.request(method, { planId: "plan_nope" })),
          "NOT_FOUND",
          method,
        );
        assertEquals(await codeOf(client.request(method, {})), "INVALID_PARAMS", method);
      }
      assertEquals(await client.request("plan.delete", { planId }), { deleted: true });
      assertEquals(await codeOf(client.request("plan.get", { planId })), "NOT_FOUND");
      assertEquals((await client.request("plan.list")).count, 0);
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("a plan pauses when its chat is cut off, and as 'gateway stopped' when the gateway stops under a resumed run", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-plan-" });
  try {
    let planId: string;
    {
      await using env = await startChatGateway({ inProcess: true, stateDir });
      const client = await env.gw.connect();
      env.upstream.reply(
        { toolCalls: [planCall({ action: "create", title: "Long", steps: ["a", "b"] })] },
        { text: "never", delayMs: 30_000 },
      );
      // The run belongs to this connection: closing it aborts the run.
      const sent = client.request("chat.send", { message: "Go" }).catch(() => {});
      await waitFor(async () => (await firstPlan(client))?.status === "active");
      // Cut off while the run waits on its second model call (the one that never answers). The
      // plan is active as soon as the tool ran, before that call goes out: a close in between
      // aborted the call unsent, the resumed run's call was then the second the upstream saw,
      // and the wait for a third below timed out (seen once in a full run).
      await waitFor(() => env.upstream.requests.length === 2, 20_000, "the second model call");
      client.close();
      await sent;
      const other = await env.gw.connect();
      const plan = await waitFor(async () => {
        const plan = await firstPlan(other);
        return plan?.status === "paused" && plan;
      });
      assert(plan);
      assertEquals(plan.pausedReason, "aborted");
      planId = plan.id;

      // A resumed run belongs to no connection; the gateway stops under it.
      env.upstream.reply({ text: "still never", delayMs: 30_000 });
      await other.request("plan.resume", { planId });
      await waitFor(() => env.upstream.requests.length === 3, 20_000, "the resumed run");
      await env.close();
    }
    {
      await using env = await startChatGateway({ inProcess: true, stateDir });
      const client = await env.gw.connect();
      const plan = await client.request("plan.get", { planId });
      assertEquals(plan.status, "paused");
      assertEquals(plan.pausedReason, "gateway stopped");
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("a plan pauses while its step waits for an exec approval, and goes on once approved", async () => {
  await using env = await startChatGateway({ inProcess: true });
  env.upstream.reply(
    { toolCalls: [planCall({ action: "create", title: "Ops", steps: ["List files", "Report"] })] },
    { toolCalls: [{ name: "exec", arguments: { command: "echo listed" } }] },
    {
      toolCalls: [
        planCall({ action: "complete_step", stepId: 1 }),
        planCall({ action: "complete_step", stepId: 2 }),
      ],
    },
    { text: "Done" },
  );
  const client = await env.gw.connect();
  const operator = await env.gw.connect({ clientName: "operator" });
  const events = recordEvents(operator);
  const sent = client.request("chat.send", { message: "List and report" });
  const request = await events.next("exec.approval.requested");
  const waiting = await onlyPlan(operator);
  assertEquals([waiting.status, waiting.pausedReason], ["paused", "awaiting approval"]);
  // Not resumable while its run waits: the run itself goes on after the approval.
  assertEquals(
    await codeOf(operator.request("plan.resume", { planId: waiting.id })),
    "INVALID_PARAMS",
  );
  await operator.request("tools.exec_approve", { requestId: request.requestId, approved: true });
  assertEquals((await sent).completed, true);
  const plan = await onlyPlan(operator);
  assertEquals(plan.status, "completed");
});
