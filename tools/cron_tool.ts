/**
 * @module `cron`: the agent schedules work for itself ("remind me at 9", "every 2 hours check
 * ..."). A job runs in the session that made it; its answer reaches that session's clients and,
 * for a channel session, the channel. The agent sees and removes only its own agent's jobs.
 */

import { Cron } from "croner";
import { z } from "zod";
import type { Config } from "../core/config/schema.ts";
import type { CronScheduler, ScheduledJob } from "./cron_types.ts";
import { defineTool } from "./tool.ts";

const parameters = z.strictObject({
  action: z.enum(["add", "remove", "list"]).describe("What to do"),
  name: z.string().trim().min(1).max(100).optional()
    .describe("Job name (unique; remove takes it)"),
  schedule: z.string().trim().min(1).max(200).optional()
    .describe("Cron expression, e.g. '0 9 * * *'"),
  schedule_type: z.enum(["cron", "every", "once"]).optional()
    .describe("cron: schedule; every: every_seconds; once: at"),
  every_seconds: z.number().int().min(1).max(366 * 86_400).optional()
    .describe("Interval in seconds"),
  at: z.string().trim().min(1).max(64).optional()
    .describe("ISO 8601 time or HH:MM"),
  message: z.string().trim().min(1).max(20_000).optional()
    .describe("What you are told when it fires, written as the reminder"),
});

export const cronTool = defineTool({
  name: "cron",
  group: "group:cron",
  description: "Schedule reminders and recurring checks for yourself. When a job fires you " +
    "get its message in this session, and your answer reaches the user.",
  parameters,
  async run(args, ctx) {
    const scheduler = ctx.services.cron as CronScheduler | undefined;
    if (!scheduler) throw new Error("The cron scheduler is not running");
    const own = async () => (await scheduler.list()).filter((job) => job.agentId === ctx.agentId);
    if (args.action === "list") {
      const jobs = await own();
      if (!jobs.length) return { content: "No scheduled jobs", data: { jobs } };
      return { content: jobs.map(describe).join("\n"), data: { jobs } };
    }
    if (args.action === "remove") {
      if (!args.name) throw new Error("remove needs name (the job's name or id)");
      const job = (await own()).find((j) => j.name === args.name || j.id === args.name);
      if (!job) throw new Error(`No scheduled job named ${args.name}`);
      await scheduler.remove(job.id);
      return { content: `Removed job ${job.name ?? job.id}`, data: { removed: job.id } };
    }
    if (!args.message) throw new Error("add needs message (what to be told when it fires)");
    const timezone = agentTimezone(ctx.config(), ctx.agentId);
    const cron = scheduleOf(args, timezone);
    const jobs = await own();
    const name = args.name ?? uniqueName(jobs.map((j) => j.name), args.message);
    if (jobs.some((job) => job.name === name)) {
      throw new Error(`A job named ${name} already exists; remove it first or pick another name`);
    }
    const job = await scheduler.add({
      cron,
      message: args.message,
      agentId: ctx.agentId,
      ...(timezone ? { timezone } : {}),
      name,
      sessionId: ctx.sessionId,
      createdBy: { via: "tool", agentId: ctx.agentId, sessionId: ctx.sessionId },
    });
    return { content: `Scheduled: ${describe(job)}`, data: job };
  },
});

type Args = z.output<typeof parameters>;

/** The schedule as the cron service takes it: an expression, `@every <n>s` or `@at <ISO>`. */
function scheduleOf(args: Args, timezone: string | undefined): string {
  const type = args.schedule_type ??
    (args.schedule ? "cron" : args.every_seconds ? "every" : args.at ? "once" : undefined);
  switch (type) {
    case "cron":
      if (!args.schedule) throw new Error("schedule_type 'cron' needs schedule");
      return args.schedule;
    case "every":
      if (!args.every_seconds) throw new Error("schedule_type 'every' needs every_seconds");
      return `@every ${args.every_seconds}s`;
    case "once":
      if (!args.at) throw new Error("schedule_type 'once' needs at");
      return `@at ${onceTime(args.at, timezone).toISOString()}`;
    default:
      throw new Error("add needs schedule, every_seconds or at");
  }
}

/**
 * `HH:MM` is the next such time; an ISO time without an offset is read in the agent's timezone
 * (croner runs a date pattern once); one with an offset is taken as it is.
 */
function onceTime(at: string, timezone: string | undefined): Date {
  const clock = at.match(/^(\d{1,2}):(\d{2})$/);
  const pattern = clock ? `0 ${Number(clock[2])} ${Number(clock[1])} * * *` : at;
  if (!clock && /(Z|[+-]\d{2}:?\d{2})$/i.test(at)) {
    const time = Date.parse(at);
    if (Number.isNaN(time)) throw new Error(`Invalid time: ${at}`);
    return new Date(time);
  }
  let next: Date | null;
  try {
    next = new Cron(pattern, { timezone, paused: true }).nextRun();
  } catch {
    throw new Error(`Invalid time: ${at} (use ISO 8601, e.g. 2026-01-31T09:00, or HH:MM)`);
  }
  if (!next) throw new Error(`Time ${at} is in the past`);
  return next;
}

function agentTimezone(config: Config, agentId: string): string | undefined {
  const entry = config.agents.list.find((agent) => agent.id === agentId);
  return entry?.timezone ?? config.agents.defaults.timezone ?? config.cron.timezone;
}

function uniqueName(taken: (string | undefined)[], message: string): string {
  const base = message.replace(/\s+/g, " ").slice(0, 40).trim();
  let name = base;
  for (let n = 2; taken.includes(name); n++) name = `${base} (${n})`;
  return name;
}

function describe(job: ScheduledJob): string {
  const next = job.nextRunAt ? `next ${job.nextRunAt}` : "no further runs";
  return `${job.name ?? job.id} [${job.cron}] ${next}: ${job.message}`;
}
