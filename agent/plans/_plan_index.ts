/**
 * @module Which plans the plans folder holds, for whom and in what state, so that a plan step or
 * an approval reads the plan it concerns rather than every plan ever written (finished plans
 * are kept, so the folder only grows). Read whole on first use, kept up to date by the store's
 * own writes, and read again in part when the folder changed under it: another process (a
 * local CLI run that a gateway started beside, `backup restore --force`, the user) wrote there.
 * The folder's modification time is coarse (a clock tick; seconds on some file systems): a
 * foreign write in the same tick as the store's last look, or during the store's own write, is
 * taken for nothing new, and goes unseen until another process changes the folder again or the
 * gateway restarts. Nor is a finished plan that a hand edit reopens read again (pyclaw never
 * writes a finished plan). Two processes writing plans at once is itself rare: the CLI does not
 * write beside a running gateway.
 */

import { inBatches, statIfExists } from "../../core/fs.ts";
import type { Plan } from "../../tools/plans/plan_types.ts";
import { isOpen, planIds, type PlanKey } from "./plan_store.ts";

/**
 * The plans in a folder by id. Not for concurrent use: the store calls it from its one queue.
 */
export class PlanIndex {
  #dir: string;
  #read: (id: string) => Promise<Plan | undefined>;
  #plans: Map<string, PlanKey> | undefined;
  /** The folder as the index last knew it. */
  #seen: FolderStamp | undefined;

  /** `read` returns a plan as its file holds it (undefined when missing or unreadable). */
  constructor(dir: string, read: (id: string) => Promise<Plan | undefined>) {
    this.#dir = dir;
    this.#read = read;
  }

  /** The plans that `match`, after reading what changed since the last look, if anything. */
  async find(match: (plan: PlanKey) => boolean): Promise<PlanKey[]> {
    const plans = await this.#refresh();
    return [...plans.values()].filter(match);
  }

  /** Records what a read of plan `id` found (`undefined`: no such plan any more). */
  saw(id: string, plan: PlanKey | undefined): void {
    if (!this.#plans) return;
    if (plan) this.#plans.set(id, keyOf(plan));
    else this.#plans.delete(id);
  }

  /**
   * Runs `change`, which writes plan `id` (resolving to it) or removes it (to `undefined`),
   * and records the result. When the folder had changed since the last look, another process
   * wrote too: the index leaves that to the next look to find.
   */
  async change(id: string, change: () => Promise<PlanKey | undefined>): Promise<void> {
    if (!this.#plans) {
      await change();
      return;
    }
    const before = await stampOf(this.#dir);
    const plan = await change();
    this.saw(id, plan);
    if (unchanged(before, this.#seen)) this.#seen = await stampOf(this.#dir);
  }

  async #refresh(): Promise<Map<string, PlanKey>> {
    const now = await stampOf(this.#dir);
    if (this.#plans && unchanged(now, this.#seen)) return this.#plans;
    // A folder put in place of the old one (a restore) may hold other versions of the same
    // plans: all of it is read. Otherwise finished plans are never written again (only
    // removed), so what may have changed is the open ones and new files.
    const sameFolder = now.ino !== null && now.ino === this.#seen?.ino;
    const plans = sameFolder && this.#plans ? this.#plans : new Map<string, PlanKey>();
    const ids = await planIds(this.#dir);
    const present = new Set(ids);
    for (const id of plans.keys()) if (!present.has(id)) plans.delete(id);
    const stale = ids.filter((id) => {
      const known = plans.get(id);
      return !known || isOpen(known);
    });
    const read = await inBatches(stale, (id) => this.#read(id));
    stale.forEach((id, i) => {
      const plan = read[i];
      if (plan) plans.set(id, keyOf(plan));
      else plans.delete(id);
    });
    this.#plans = plans;
    // Taken before the reads: a change made while they ran shows at the next look.
    this.#seen = now;
    return plans;
  }
}

/** The folder's identity and last change (every plan write renames a file into it). */
interface FolderStamp {
  ino: number | null;
  /** null where the platform does not tell: never taken as unchanged. */
  mtime: number | null;
}

const MISSING: FolderStamp = { ino: null, mtime: -1 };

async function stampOf(dir: string): Promise<FolderStamp> {
  const info = await statIfExists(dir);
  return info ? { ino: info.ino, mtime: info.mtime?.getTime() ?? null } : MISSING;
}

function unchanged(now: FolderStamp, seen: FolderStamp | undefined): boolean {
  return seen !== undefined && now.mtime !== null && now.mtime === seen.mtime &&
    now.ino === seen.ino;
}

function keyOf(plan: PlanKey): PlanKey {
  return { id: plan.id, agentId: plan.agentId, sessionId: plan.sessionId, status: plan.status };
}
