/**
 * @module The cron service: jobs that run an agent turn with a fixed message on a schedule.
 * One timer is armed for the soonest job; a job never overlaps itself. Runs missed while the
 * gateway was down follow `cron.missedRuns`: `run-once` runs each such job once at start-up
 * (however many runs it missed), `skip` records one `skipped` entry and waits for the next time.
 */

import { type Clock, type ClockTimer, systemClock } from "../../core/clock.ts";
import { GatewayError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import type { CronSchedule } from "./cron_schedule.ts";
import { type CronCreator, type CronJob, type CronRunRecord, CronStore } from "./cron_store.ts";

/** What {@linkcode CronService.add} takes. */
export interface CronJobInput {
  /** A cron expression, `@every <n>s` or `@at <ISO time>`. */
  cron: string;
  message: string;
  agentId?: string;
  timezone?: string;
  name?: string;
  /** The session the runs go to. @default `cron-<job id>` */
  sessionId?: string;
  createdBy?: CronCreator;
}

/** Runs one agent turn for a job; resolves with the answer's text, rejects on failure. */
export interface CronRunner {
  run(
    turn: { agentId: string; sessionId: string; message: string },
    signal: AbortSignal,
  ): Promise<string>;
  /** Throws NOT_FOUND for an agent that does not exist, so `cron.add` can refuse it. */
  checkAgent?(agentId: string): void;
}

/** The settings the service reads at each use (config `cron.*`). */
export interface CronSettings {
  enabled: boolean;
  missedRuns: "skip" | "run-once";
  timezone?: string;
  historyLimit: number;
}

/** Options for {@linkcode CronService}. */
export interface CronServiceOptions {
  cronDir: string;
  runner: CronRunner;
  settings: () => CronSettings;
  logger: Logger;
  /** Where the time and the timer come from (tests pass a manual clock). @default systemClock */
  clock?: Clock;
}

/** A job as `cron.list` shows it. */
export interface CronJobInfo extends CronJob {
  nextRunAt: string | null;
  running: boolean;
}

const PREVIEW_CHARS = 200;
/** setTimeout's longest delay; longer waits re-arm. */
const MAX_DELAY_MS = 2 ** 31 - 1;

interface Entry {
  job: CronJob;
  schedule: CronSchedule;
  next: Date | null;
  running?: AbortController;
}

/** Loads, schedules and runs the jobs of one state dir. */
export class CronService {
  readonly store: CronStore;
  #options: CronServiceOptions;
  #entries = new Map<string, Entry>();
  #clock: Clock;
  #timer: ClockTimer | undefined;
  /** Runs in progress, with their job's entry (which `remove` may have taken out of the table). */
  #runs = new Map<Promise<void>, Entry>();
  #started = false;
  #loading: Promise<void> | undefined;
  #stopped = false;

  constructor(options: CronServiceOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.store = new CronStore(options.cronDir);
  }

  #now(): Date {
    return new Date(this.#clock.now());
  }

  /**
   * Loads saved jobs, deals with runs missed while down, and arms the timer. The other methods
   * wait for it, so callers need not.
   */
  start(): Promise<void> {
    this.#loading ??= this.#load();
    return this.#loading;
  }

  async #load(): Promise<void> {
    this.#started = true;
    const now = this.#now();
    const settings = this.#options.settings();
    const jobs = await this.store.loadJobs();
    // The cron parser (croner) loads with the first job: a gateway without jobs never needs it.
    const { parseSchedule } = jobs.length ? await scheduleParser() : { parseSchedule: undefined };
    for (const job of jobs) {
      let schedule: CronSchedule;
      try {
        schedule = parseSchedule!(job.cron, job.timezone ?? settings.timezone, {
          anchor: new Date(job.createdAt),
          now,
          requireFuture: false,
        });
      } catch (error) {
        this.#options.logger.warn("cron job has an invalid schedule; not scheduled", {
          jobId: job.id,
          error: (error as Error).message,
        });
        continue;
      }
      const entry: Entry = { job, schedule, next: schedule.nextRun(now) };
      this.#entries.set(job.id, entry);
      const due = schedule.nextRun(new Date(job.lastRunAt ?? job.createdAt));
      if (due && due < now && settings.enabled && !this.#stopped) {
        if (settings.missedRuns === "run-once") this.#launch(entry, "catch-up");
        else {await this.#record(
            entry,
            "missed",
            due,
            "skipped",
            "Missed while the gateway was down",
          );}
      }
    }
    this.#arm();
  }

  /**
   * Adds a job and schedules it.
   *
   * @throws {GatewayError} INVALID_PARAMS for a bad expression or timezone; NOT_FOUND for an
   * unknown agent
   */
  async add(input: CronJobInput): Promise<CronJobInfo> {
    await this.start();
    const agentId = input.agentId ?? "main";
    const now = this.#now();
    const { parseSchedule } = await scheduleParser();
    const schedule = parseSchedule(
      input.cron,
      input.timezone ?? this.#options.settings().timezone,
      { now, anchor: now },
    );
    this.#options.runner.checkAgent?.(agentId);
    const id = `job_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
    const job: CronJob = {
      id,
      cron: schedule.expression,
      ...(input.name ? { name: input.name } : {}),
      message: input.message,
      agentId,
      ...(input.timezone ? { timezone: input.timezone } : {}),
      sessionId: input.sessionId ?? `cron-${id}`,
      createdAt: now.toISOString(),
      ...(input.createdBy ? { createdBy: input.createdBy } : {}),
    };
    this.#entries.set(id, { job, schedule, next: schedule.nextRun(now) });
    try {
      await this.#save();
    } catch (error) {
      this.#entries.delete(id);
      throw error;
    }
    this.#arm();
    return this.#info(this.#entries.get(id)!);
  }

  /** @throws {GatewayError} NOT_FOUND for an unknown id */
  async remove(id: string): Promise<void> {
    await this.start();
    const entry = this.#entries.get(id);
    if (!entry) throw new GatewayError("NOT_FOUND", `Cron job not found: ${id}`);
    this.#entries.delete(id);
    await this.#save();
    this.#arm();
  }

  async list(): Promise<CronJobInfo[]> {
    await this.start();
    return [...this.#entries.values()].map((entry) => this.#info(entry));
  }

  /** @throws {GatewayError} NOT_FOUND for a `jobId` that is neither a job nor in the history */
  async history(options: { jobId?: string; limit: number }): Promise<CronRunRecord[]> {
    await this.start();
    const records = await this.store.readHistory({
      ...options,
      keep: this.#options.settings().historyLimit,
    });
    if (options.jobId && records.length === 0 && !this.#entries.has(options.jobId)) {
      throw new GatewayError("NOT_FOUND", `Cron job not found: ${options.jobId}`);
    }
    return records;
  }

  /** Stops the timer, aborts running jobs and waits for them to record their end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loading?.catch(() => {});
    this.#clock.clearTimeout(this.#timer);
    // Every run, including those of jobs removed while they ran: shutdown waits for no turn.
    for (const entry of this.#runs.values()) entry.running?.abort();
    await Promise.allSettled([...this.#runs.keys()]);
  }

  #info(entry: Entry): CronJobInfo {
    return { ...entry.job, nextRunAt: entry.next?.toISOString() ?? null, running: !!entry.running };
  }

  #save(): Promise<void> {
    return this.store.saveJobs([...this.#entries.values()].map((entry) => entry.job));
  }

  #arm(): void {
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#stopped || !this.#started) return;
    const soonest = Math.min(
      ...[...this.#entries.values()].map((e) => e.next?.getTime() ?? Infinity),
    );
    if (soonest === Infinity) return;
    const delay = Math.min(Math.max(0, soonest - this.#now().getTime()), MAX_DELAY_MS);
    this.#timer = this.#clock.setTimeout(() => this.#tick(), delay);
  }

  #tick(): void {
    const now = this.#now();
    const enabled = this.#options.settings().enabled;
    for (const entry of this.#entries.values()) {
      if (!entry.next || entry.next > now) continue;
      entry.next = entry.schedule.nextRun(now);
      if (!enabled) continue;
      if (entry.running) {
        this.#record(entry, "schedule", now, "skipped", "The previous run is still running")
          .catch(() => {});
        continue;
      }
      this.#launch(entry, "schedule");
    }
    this.#arm();
  }

  #launch(entry: Entry, trigger: CronRunRecord["trigger"]): void {
    const run = this.#run(entry, trigger).finally(() => this.#runs.delete(run));
    this.#runs.set(run, entry);
  }

  async #run(entry: Entry, trigger: CronRunRecord["trigger"]): Promise<void> {
    const controller = new AbortController();
    entry.running = controller;
    const start = this.#now();
    const { job } = entry;
    let status: "ok" | "error" = "ok";
    let error: string | undefined;
    let answer = "";
    try {
      answer = await this.#options.runner.run(
        { agentId: job.agentId, sessionId: job.sessionId, message: runMessage(job) },
        controller.signal,
      );
    } catch (failure) {
      status = "error";
      error = (failure as Error)?.message ?? String(failure);
      this.#options.logger.warn("cron job failed", { jobId: job.id, error });
    } finally {
      entry.running = undefined;
    }
    await this.#record(entry, trigger, start, status, error, answer);
    // A one-time job is done once it ran (its history stays); an aborted run (shutdown) keeps it.
    if (entry.schedule.once && !controller.signal.aborted && this.#entries.get(job.id) === entry) {
      this.#entries.delete(job.id);
      await this.#save().catch((failure) =>
        this.#options.logger.error("cron could not remove a finished job", {
          jobId: job.id,
          error: (failure as Error).message,
        })
      );
    }
  }

  async #record(
    entry: Entry,
    trigger: CronRunRecord["trigger"],
    start: Date,
    status: CronRunRecord["status"],
    error?: string,
    answer?: string,
  ): Promise<void> {
    const end = this.#now();
    const record: CronRunRecord = {
      id: crypto.randomUUID(),
      jobId: entry.job.id,
      trigger,
      start: start.toISOString(),
      end: end.toISOString(),
      durationMs: Math.max(0, end.getTime() - start.getTime()),
      status,
      ...(error ? { error } : {}),
      ...(answer ? { preview: answer.slice(0, PREVIEW_CHARS) } : {}),
    };
    if (status !== "skipped" || trigger === "missed") {
      entry.job.lastRunAt = trigger === "missed" ? end.toISOString() : start.toISOString();
    }
    entry.job.lastStatus = status;
    // Each on its own: a history that cannot be written does not keep the job's state (its last
    // run, which the schedule reads) from being saved.
    try {
      await this.store.appendHistory(record, this.#options.settings().historyLimit);
    } catch (failure) {
      this.#options.logger.error("cron could not record a run", {
        jobId: entry.job.id,
        error: (failure as Error).message,
      });
    }
    try {
      // A job removed while it ran stays removed.
      if (this.#entries.get(entry.job.id) === entry) await this.#save();
    } catch (failure) {
      this.#options.logger.error("cron could not save a job's state", {
        jobId: entry.job.id,
        error: (failure as Error).message,
      });
    }
  }
}

/**
 * What the agent reads when a job fires. A job an agent scheduled for itself says so, so the
 * agent reads it as its own reminder coming due rather than a new request from the user.
 */
function runMessage(job: CronJob): string {
  if (job.createdBy?.via !== "tool") return job.message;
  return `[Scheduled job "${job.name ?? job.id}" is due] ${job.message}`;
}

/** The schedule parser and croner with it, imported on first need. */
function scheduleParser() {
  return import("./cron_schedule.ts");
}
