/**
 * @module The `plan` tool: the agent writes down a multi-step plan, marks steps as it works,
 * and may pause. Every change is saved at once, so a plan survives an abort or a restart and
 * `plan.resume` can continue from the first unfinished step.
 */

import { z } from "zod";
import { defineTool, type ToolOutput } from "../tool.ts";
import { type Plan, type PlanService, type StepStatus, unfinishedSteps } from "./plan_types.ts";

const STEP_STATUSES = ["pending", "in_progress", "done", "skipped", "failed"] as const;

// One flat object rather than a union per action: providers want `type: object` at the top.
const parameters = z.object({
  action: z.enum(["create", "update", "complete_step", "pause", "show"]).describe(
    "create: a new plan (title, steps). update: set a step's status (stepId, status, note) " +
      "and/or append steps. complete_step: mark a step done (stepId, note). pause: stop here " +
      "until the user resumes (reason). show: the current plan.",
  ),
  title: z.string().min(1).max(200).optional().describe("Plan title (create)"),
  steps: z.array(z.string().min(1).max(500)).max(50).optional().describe(
    "Step titles, in order (create), or steps to append (update)",
  ),
  stepId: z.number().int().positive().optional().describe("The step's number"),
  status: z.enum(STEP_STATUSES).optional().describe("New status of the step (update)"),
  note: z.string().max(2000).optional().describe("What was done or found (update, complete_step)"),
  reason: z.string().max(500).optional().describe("Why the plan pauses (pause)"),
});

export const planTool = defineTool({
  name: "plan",
  group: "group:agent",
  description: "Keep a step-by-step plan for a multi-step task: create it before starting, " +
    "mark each step as you finish it, pause when you must wait for the user. The plan is saved " +
    "and can be resumed later from its first unfinished step.",
  parameters,
  run: async (args, ctx) => {
    if (!ctx.config().plans.enabled) {
      return { content: "Plans are disabled (plans.enabled is false)", isError: true };
    }
    const plans = ctx.services.plans;
    if (!plans) return { content: "Plans are not available here", isError: true };
    plans.watchRun(ctx.agentId, ctx.sessionId, ctx.signal);
    if (args.action === "create") {
      if (!args.title || !args.steps?.length) {
        return { content: "create needs a title and at least one step", isError: true };
      }
      const plan = await plans.create({
        agentId: ctx.agentId,
        sessionId: ctx.sessionId,
        title: args.title,
        steps: args.steps,
      });
      return render(plan, "Plan created");
    }
    const current = await plans.current(ctx.agentId, ctx.sessionId);
    if (!current) {
      return { content: "This session has no unfinished plan; create one first", isError: true };
    }
    if (args.action === "show") return render(current, "Current plan");
    return await change(plans, current, args);
  },
});

async function change(
  plans: PlanService,
  current: Plan,
  args: z.output<typeof parameters>,
): Promise<ToolOutput> {
  if (args.action === "pause") {
    const plan = await plans.update(current.id, (plan) => {
      plan.status = "paused";
      plan.pausedReason = args.reason ?? "paused by the agent";
    });
    return render(plan, "Plan paused; stop working on it now. The user can resume it later");
  }
  const status: StepStatus | undefined = args.action === "complete_step" ? "done" : args.status;
  if (args.stepId !== undefined && !current.steps.some((step) => step.id === args.stepId)) {
    return { content: `No step ${args.stepId} in plan ${current.id}`, isError: true };
  }
  if (args.stepId === undefined && (status || args.action === "complete_step")) {
    return { content: `${args.action} needs a stepId`, isError: true };
  }
  if (args.action === "update" && !status && !args.steps?.length && args.note === undefined) {
    return { content: "update needs a status, a note, or steps to append", isError: true };
  }
  const plan = await plans.update(current.id, (plan) => {
    const now = new Date().toISOString();
    const step = plan.steps.find((entry) => entry.id === args.stepId);
    if (step) {
      if (status) step.status = status;
      if (args.note !== undefined) step.note = args.note;
      step.updatedAt = now;
    }
    if (args.action === "update") {
      for (const title of args.steps ?? []) {
        plan.steps.push({ id: plan.steps.length + 1, title, status: "pending", updatedAt: now });
      }
    }
    // Working on a paused plan (the run continued after an approval) makes it active again.
    if (plan.status === "paused") {
      plan.status = "active";
      delete plan.pausedReason;
    }
  });
  return render(plan, plan.status === "completed" ? "Plan completed" : "Plan updated");
}

const MARK: Record<StepStatus, string> = {
  pending: "[ ]",
  in_progress: "[>]",
  done: "[x]",
  skipped: "[-]",
  failed: "[!]",
};

function render(plan: Plan, headline: string): ToolOutput {
  const lines = [
    `${headline}: ${plan.id} "${plan.title}" (${plan.status})`,
    ...plan.steps.map((step) =>
      `${step.id}. ${MARK[step.status]} ${step.title}${step.note ? ` \u2014 ${step.note}` : ""}`
    ),
  ];
  const next = unfinishedSteps(plan)[0];
  if (next && plan.status === "active") lines.push(`Next: step ${next.id}`);
  return { content: lines.join("\n"), data: plan };
}
