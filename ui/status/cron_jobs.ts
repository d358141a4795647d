/** @module A cron job as `cron.list` gives it, and who made it, in words for the cron screen. */

export interface CronJob {
  id: string;
  /** A cron expression, `@every <n>s` or `@at <ISO time>`. */
  cron: string;
  name?: string;
  message: string;
  agentId: string;
  timezone?: string;
  sessionId: string;
  nextRunAt?: string | null;
  lastRunAt?: string;
  lastStatus?: string;
  createdBy?: { via: "rpc"; client?: string } | { via: "tool"; agentId: string; sessionId: string };
}

/** Who made a job: the agent itself (its `cron` tool, in which session) or a client. */
export function madeBy(job: Pick<CronJob, "createdBy">): string {
  if (job.createdBy?.via === "tool") return `the agent, in session ${job.createdBy.sessionId}`;
  if (job.createdBy?.via === "rpc") return `a client (${job.createdBy.client ?? "unnamed"})`;
  return "—";
}
