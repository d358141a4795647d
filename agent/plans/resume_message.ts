/** @module The message that continues a paused plan: what is done, and where to pick up. */

import { type Plan, unfinishedSteps } from "../../tools/plans/plan_types.ts";

/** Tells the agent to continue `plan` from its first unfinished step. */
export function resumeMessage(plan: Plan): string {
  const next = unfinishedSteps(plan)[0];
  const lines = [
    `Resume the plan ${plan.id} "${plan.title}". Progress so far:`,
    ...plan.steps.map((step) =>
      `${step.id}. [${step.status}] ${step.title}${step.note ? ` \u2014 ${step.note}` : ""}`
    ),
  ];
  if (next) lines.push(`Continue from step ${next.id}: ${next.title}.`);
  lines.push("Mark each step with the plan tool as you finish it.");
  return lines.join("\n");
}
