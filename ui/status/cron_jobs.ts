/** @module A cron job as `cron.list` gives it, and who made it, in words for the cron screen. */

import type { MethodResult } from "../../core/protocol/methods.ts";

/** One job of `cron.list`, as the catalogue types it. */
export type CronJob = MethodResult<"cron.list">[number];

/** Who made a job: the agent itself (its `cron` tool, in which session) or a client. */
export function madeBy(job: Pick<CronJob, "createdBy">): string {
  if (job.createdBy?.via === "tool") return `the agent, in session ${job.createdBy.sessionId}`;
  if (job.createdBy?.via === "rpc") return `a client (${job.createdBy.client ?? "unnamed"})`;
  return "—";
}
