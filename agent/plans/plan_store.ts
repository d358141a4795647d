/**
 * @module Plans on disk (`<state>/plans/<id>.json`, written atomically) and their life cycle:
 * a plan pauses when its run is aborted or ends unfinished, when the gateway stops (or was
 * killed: found `active` at the next start), or when the agent pauses it; `resume` runs the
 * agent again on the plan's session from the first unfinished step. Finished plans are kept
 * (`plan.list` shows them), so an index finds the plans of a session or state, and each
 * operation but `list` reads only the files of the plans it concerns.
 */

import { join } from "../../core/path.ts";
import { ErrorCode, errorMessage, GatewayError } from "../../core/errors.ts";
import { inBatches, readTextIfExists, writeFileAtomic } from "../../core/fs.ts";
import type { Logger } from "../../core/logger.ts";
import { type Plan, type PlanService, unfinishedSteps } from "../../tools/plans/plan_types.ts";
import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import { resumeMessage } from "./resume_message.ts";

/** How a resumed run ended, as far as plans care. */
export interface RunEnd {
  aborted?: boolean;
  error?: { message: string };
}

/** Options for {@linkcode PlanStore}. */
export interface PlanStoreOptions {
  /** `statePaths(...).plansDir` */
  dir: string;
  logger: Logger;
  /** True while the session has a run in progress or queued (the chat service). */
  isRunActive?(agentId: string, sessionId: string): boolean;
  /** Runs the agent on the plan's session with `message`; resolves when the run ends. */
  runAgent?(plan: Plan, message: string): Promise<RunEnd>;
}

/** The pause reason while a step waits for an approval (see {@linkcode PlanStore.markWaiting}). */
export const WAITING = "awaiting approval";

/** What lookups need of a plan. */
export type PlanKey = Pick<Plan, "id" | "agentId" | "sessionId" | "status">;

const ID = /^plan_[A-Za-z0-9_-]{1,64}$/;

/** True for a well-formed plan id (also what keeps an id from naming a path elsewhere). */
function isPlanId(id: string): boolean {
  return ID.test(id);
}

/** Active or paused: a plan that work may still change. */
export function isOpen(plan: PlanKey): boolean {
  return plan.status === "active" || plan.status === "paused";
}

/** The ids of the plan files in `dir` (none when it does not exist). */
export async function planIds(dir: string): Promise<string[]> {
  try {
    const ids: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      const id = entry.name.endsWith(".json") ? entry.name.slice(0, -5) : "";
      if (entry.isFile && isPlanId(id)) ids.push(id);
    }
    return ids;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

export class PlanStore implements PlanService {
  #options: PlanStoreOptions;
  #queue: Promise<unknown> = Promise.resolve();
  #recovered: Promise<void> | undefined;
  #watched = new WeakSet<AbortSignal>();
  #resumes = new Set<Promise<unknown>>();
  /** Plans this process wrote (created, advanced, resumed): the ones a local run may pause. */
  #written = new Set<string>();

  constructor(options: PlanStoreOptions) {
    this.#options = options;
  }

  /**
   * Where each plan is, so that only listing reads them all; its module loads with the first
   * plan operation (a gateway serves without it: the start-up module budget, issue 17).
   */
  #indexed = loadOnce(async () => {
    const { PlanIndex } = await importLazily<typeof import("./_plan_index.ts")>(
      new URL("./_plan_index.ts", import.meta.url),
    );
    return new PlanIndex(this.#options.dir, (id) => this.#read(id));
  });

  /** Every plan, most recently changed first: the one operation that reads them all. */
  async list(): Promise<Plan[]> {
    await this.#recover();
    const plans: Plan[] = [];
    const read = await inBatches(await planIds(this.#options.dir), (id) => this.#read(id));
    for (const plan of read) {
      if (plan) plans.push(await this.#settle(plan));
    }
    return newestFirst(plans);
  }

  /** @throws {GatewayError} NOT_FOUND */
  async get(planId: string): Promise<Plan> {
    await this.#recover();
    return await this.#settle(await this.#require(planId));
  }

  /** @throws {GatewayError} NOT_FOUND */
  async delete(planId: string): Promise<{ deleted: true }> {
    await this.#recover();
    return await this.#serial(async () => {
      await this.#require(planId);
      await (await this.#indexed()).change(planId, async () => {
        await Deno.remove(this.#file(planId));
        return undefined;
      });
      this.#options.logger.info("plan deleted", { planId });
      return { deleted: true as const };
    });
  }

  /**
   * Continues a paused plan: marks it active and runs the agent on its session from the first
   * unfinished step (in the background; the plan pauses again if that run stops early).
   *
   * @throws {GatewayError} NOT_FOUND for an unknown id; INVALID_PARAMS when it is not paused
   */
  async resume(planId: string): Promise<{ resumed: boolean; plan: Plan }> {
    await this.#recover();
    const runAgent = this.#options.runAgent;
    const plan = await this.#serial(async () => {
      const plan = await this.#require(planId);
      if (this.#runEnded(plan)) plan.status = "paused";
      if (plan.status !== "paused") {
        throw new GatewayError(
          ErrorCode.INVALID_PARAMS,
          `Plan ${planId} is ${plan.status}, not paused`,
        );
      }
      // Paused while its run waits for an approval: that run, not a new one, goes on.
      if (this.#options.isRunActive?.(plan.agentId, plan.sessionId)) {
        throw new GatewayError(
          ErrorCode.INVALID_PARAMS,
          `Plan ${planId} belongs to a run still in progress (${plan.pausedReason ?? "active"})`,
        );
      }
      if (!runAgent) {
        throw new GatewayError(ErrorCode.INTERNAL_ERROR, "No agent runner to resume plans with");
      }
      plan.status = "active";
      plan.resumedAt = new Date().toISOString();
      delete plan.pausedReason;
      return await this.#write(plan);
    });
    const run = runAgent!(plan, resumeMessage(plan))
      .then((end) => this.#afterRun(plan, end))
      .catch((error) => this.#afterRun(plan, { error: { message: errorMessage(error) } }));
    this.#resumes.add(run);
    run.finally(() => this.#resumes.delete(run));
    this.#options.logger.info("plan resumed", { planId, sessionId: plan.sessionId });
    return { resumed: true, plan };
  }

  async create(input: { agentId: string; sessionId: string; title: string; steps: string[] }) {
    await this.#recover();
    return await this.#serial(async () => {
      const now = new Date().toISOString();
      for (const old of await this.#find(openIn(input.agentId, input.sessionId))) {
        old.status = "cancelled";
        delete old.pausedReason;
        await this.#write(old);
      }
      const plan: Plan = {
        id: `plan_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`,
        title: input.title,
        status: "active",
        steps: input.steps.map((title, i) => ({
          id: i + 1,
          title,
          status: "pending" as const,
          updatedAt: now,
        })),
        agentId: input.agentId,
        sessionId: input.sessionId,
        createdAt: now,
        updatedAt: now,
      };
      this.#options.logger.info("plan created", { planId: plan.id, steps: plan.steps.length });
      return await this.#write(plan);
    });
  }

  async current(agentId: string, sessionId: string): Promise<Plan | undefined> {
    await this.#recover();
    const found = await this.#serial(() => this.#find(openIn(agentId, sessionId)));
    const plans: Plan[] = [];
    for (const plan of found) plans.push(await this.#settle(plan));
    return newestFirst(plans).find(isOpen);
  }

  update(planId: string, change: (plan: Plan) => void): Promise<Plan> {
    return this.#serial(async () => {
      const plan = await this.#require(planId);
      change(plan);
      if (plan.status !== "cancelled" && unfinishedSteps(plan).length === 0) {
        plan.status = "completed";
        delete plan.pausedReason;
      }
      return await this.#write(plan);
    });
  }

  watchRun(agentId: string, sessionId: string, signal: AbortSignal): void {
    if (this.#watched.has(signal)) return;
    this.#watched.add(signal);
    signal.addEventListener("abort", () => {
      void this.#pauseWhere(
        (plan) => plan.agentId === agentId && plan.sessionId === sessionId,
        "aborted",
      );
    }, { once: true });
  }

  markWaiting(agentId: string, sessionId: string, reason?: string): Promise<void> {
    return this.#serial(async () => {
      for (const plan of await this.#find(openIn(agentId, sessionId))) {
        const waiting = plan.status === "paused" && plan.pausedReason === WAITING;
        if (reason && (plan.status === "active" || waiting)) {
          plan.status = "paused";
          plan.pausedReason = reason;
        } else if (!reason && waiting) {
          plan.status = "active";
          delete plan.pausedReason;
        } else {
          continue;
        }
        await this.#write(plan);
      }
    });
  }

  /** Pauses every active plan: the gateway is stopping (before its runs are aborted). */
  pauseAll(reason = "gateway stopped"): Promise<void> {
    return this.#pauseWhere(() => true, reason);
  }

  /**
   * Pauses the active plans this process wrote: a local run is ending. Any other active plan
   * belongs to a gateway on the same state dir (or to the next one to start), not to it.
   */
  pauseOwn(reason: string): Promise<void> {
    return this.#pauseWhere((plan) => this.#written.has(plan.id), reason);
  }

  /** Waits for resumed runs to end and every write to land. */
  async close(): Promise<void> {
    await Promise.all([...this.#resumes]);
    await this.#queue;
  }

  async #afterRun(plan: Plan, end: RunEnd): Promise<void> {
    const reason = end.aborted
      ? "aborted"
      : end.error
      ? `run failed: ${end.error.message}`
      : "run ended";
    await this.#pauseWhere((p) => p.id === plan.id, reason);
  }

  #pauseWhere(match: (plan: PlanKey) => boolean, reason: string): Promise<void> {
    return this.#serial(async () => {
      for (const plan of await this.#find((p) => p.status === "active" && match(p))) {
        plan.status = "paused";
        plan.pausedReason = reason;
        await this.#write(plan);
        this.#options.logger.info("plan paused", { planId: plan.id, reason });
      }
    });
  }

  /** True for an active plan whose session has no run any more: it paused when that run ended. */
  #runEnded(plan: PlanKey): boolean {
    const isRunActive = this.#options.isRunActive;
    return plan.status === "active" && isRunActive !== undefined &&
      !isRunActive(plan.agentId, plan.sessionId);
  }

  async #settle(plan: Plan): Promise<Plan> {
    if (!this.#runEnded(plan)) return plan;
    await this.#pauseWhere((p) => p.id === plan.id && this.#runEnded(p), "run ended");
    return (await this.#read(plan.id)) ?? plan;
  }

  /** Plans left `active` by a previous gateway process (killed, crashed) are paused. */
  #recover(): Promise<void> {
    this.#recovered ??= this.#pauseWhere(() => true, "gateway stopped");
    return this.#recovered;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => {});
    return run;
  }

  #file(planId: string): string {
    return join(this.#options.dir, `${planId}.json`);
  }

  /**
   * The plans the index holds for `match`, as their files say now (the file wins over the
   * index, which learns from it). Called from the queue.
   */
  async #find(match: (plan: PlanKey) => boolean): Promise<Plan[]> {
    const plans: Plan[] = [];
    const index = await this.#indexed();
    for (const { id } of await index.find(match)) {
      const plan = await this.#read(id);
      index.saw(id, plan);
      if (plan && match(plan)) plans.push(plan);
    }
    return plans;
  }

  async #read(planId: string): Promise<Plan | undefined> {
    if (!isPlanId(planId)) return undefined;
    const text = await readTextIfExists(this.#file(planId));
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as Plan;
    } catch {
      this.#options.logger.warn("unreadable plan file skipped", { planId });
      return undefined;
    }
  }

  async #require(planId: string): Promise<Plan> {
    const plan = await this.#read(planId);
    if (!plan) throw new GatewayError(ErrorCode.NOT_FOUND, `Plan not found: ${planId}`);
    return plan;
  }

  async #write(plan: Plan): Promise<Plan> {
    this.#written.add(plan.id);
    plan.updatedAt = new Date().toISOString();
    await (await this.#indexed()).change(plan.id, async () => {
      await writeFileAtomic(this.#file(plan.id), JSON.stringify(plan, null, 2) + "\n");
      return plan;
    });
    return plan;
  }
}

function openIn(agentId: string, sessionId: string): (plan: PlanKey) => boolean {
  return (plan) => plan.agentId === agentId && plan.sessionId === sessionId && isOpen(plan);
}

function newestFirst(plans: Plan[]): Plan[] {
  return plans.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
}
