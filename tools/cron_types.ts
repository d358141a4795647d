/**
 * @module What the `cron` tool needs from the gateway's scheduler (`ToolServices.cron`), apart
 * from the tool so that `tool.ts` can name it without importing the tool back.
 */

/** A job as the scheduler reports it (the cron service's `CronJobInfo`). */
export interface ScheduledJob {
  id: string;
  name?: string;
  cron: string;
  message: string;
  agentId: string;
  sessionId: string;
  nextRunAt: string | null;
  createdBy?: unknown;
}

/** What the `cron` tool needs from the gateway (`ToolServices.cron`). */
export interface CronScheduler {
  /** @throws {GatewayError} INVALID_PARAMS for a bad schedule or timezone */
  add(input: {
    cron: string;
    message: string;
    agentId: string;
    timezone?: string;
    name: string;
    sessionId: string;
    createdBy: { via: "tool"; agentId: string; sessionId: string };
  }): Promise<ScheduledJob>;
  list(): Promise<ScheduledJob[]>;
  remove(id: string): Promise<void>;
}
