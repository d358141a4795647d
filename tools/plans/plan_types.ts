/** @module The shape of a plan, and the service the `plan` tool writes plans through. */

/** `active` while a run works on it; `paused` until `plan.resume`; then `completed`. */
export type PlanStatus = "active" | "paused" | "completed" | "cancelled";

export type StepStatus = "pending" | "in_progress" | "done" | "skipped" | "failed";

export interface PlanStep {
  /** 1-based position; stable once given. */
  id: number;
  title: string;
  status: StepStatus;
  /** What the agent noted on finishing (or failing) the step. */
  note?: string;
  updatedAt: string;
}

/** A plan as `plan.get` returns it and as it is stored (`plans/<id>.json`). */
export interface Plan {
  id: string;
  title: string;
  status: PlanStatus;
  steps: PlanStep[];
  /** The session whose run wrote the plan, and that `plan.resume` continues. */
  agentId: string;
  sessionId: string;
  createdAt: string;
  updatedAt: string;
  /** Why it paused: `aborted`, `gateway stopped`, `awaiting approval`, `run ended`, or the agent's words. */
  pausedReason?: string;
  /** When it was last resumed. */
  resumedAt?: string;
}

/** The steps that still need doing. */
export function unfinishedSteps(plan: Plan): PlanStep[] {
  return plan.steps.filter((step) => step.status === "pending" || step.status === "in_progress");
}

/** What the `plan` tool needs from the gateway (`ToolServices.plans`). */
export interface PlanService {
  /** Starts a plan for a session; an active plan it had is cancelled. */
  create(
    input: { agentId: string; sessionId: string; title: string; steps: string[] },
  ): Promise<Plan>;
  /** The session's newest plan that is not finished (active or paused). */
  current(agentId: string, sessionId: string): Promise<Plan | undefined>;
  /**
   * Applies `change` to a plan and saves it; the plan completes when no step is left to do.
   *
   * @throws {GatewayError} NOT_FOUND for an unknown id
   */
  update(planId: string, change: (plan: Plan) => void): Promise<Plan>;
  /** Pauses the session's active plan when `signal` aborts (the run was stopped). */
  watchRun(agentId: string, sessionId: string, signal: AbortSignal): void;
  /**
   * A step of the session's run waits for the user (an `exec` approval): with a `reason` the
   * active plan pauses (or its pause reason changes); without one, a plan paused for approval
   * becomes active again because the run goes on.
   */
  markWaiting(agentId: string, sessionId: string, reason?: string): Promise<void>;
}
