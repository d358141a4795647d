/**
 * @module Cron jobs and their run history on disk: `<state>/cron/jobs.json` (rewritten
 * atomically) and `<state>/cron/history.jsonl` (appended; trimmed to the configured length).
 */

import { dirname, join } from "../../core/path.ts";
import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import { readJsonLines, readTextIfExists, writeFileAtomic } from "../../core/fs.ts";

/** Who made a job: a client over `cron.add`, or an agent with the `cron` tool. */
export type CronCreator =
  | { via: "rpc"; client?: string }
  | { via: "tool"; agentId: string; sessionId: string };

/** A saved job. */
export interface CronJob {
  id: string;
  /** A cron expression, `@every <n>s` or `@at <ISO time>`. */
  cron: string;
  /** A name the agent gave it (the `cron` tool lists and removes by name). */
  name?: string;
  message: string;
  agentId: string;
  timezone?: string;
  /** The session the job's runs append to. */
  sessionId: string;
  createdAt: string;
  createdBy?: CronCreator;
  lastRunAt?: string;
  lastStatus?: CronRunStatus;
}

export type CronRunStatus = "ok" | "error" | "skipped";

/** One run (or skipped run) of a job. */
export interface CronRunRecord {
  id: string;
  jobId: string;
  /** `schedule`, `catch-up` (a run missed while the gateway was down), or `missed`. */
  trigger: "schedule" | "catch-up" | "missed";
  start: string;
  end: string;
  durationMs: number;
  status: CronRunStatus;
  error?: string;
  /** The start of the answer. */
  preview?: string;
}

// The file's schema (and zod) load with the first jobs file read: a gateway with no jobs idles
// without them (issue 17).
const jobsFile = loadOnce(() =>
  importLazily<typeof import("./_jobs_file_schema.ts")>(
    new URL("./_jobs_file_schema.ts", import.meta.url),
  )
);

/** The files of one state dir's cron. */
export class CronStore {
  readonly jobsFile: string;
  readonly historyFile: string;
  #writing: Promise<void> = Promise.resolve();
  #history: Promise<void> = Promise.resolve();
  #appends = 0;

  constructor(cronDir: string) {
    this.jobsFile = join(cronDir, "jobs.json");
    this.historyFile = join(cronDir, "history.jsonl");
  }

  /** @throws {Error} when the file exists but is not a valid jobs file */
  async loadJobs(): Promise<CronJob[]> {
    const text = await readTextIfExists(this.jobsFile);
    if (text === undefined) return [];
    const parsed = (await jobsFile()).jobsFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`Invalid cron jobs file ${this.jobsFile}`);
    return parsed.data.jobs;
  }

  /** Saves `jobs`; writes are queued so the last call's snapshot lands last. */
  saveJobs(jobs: CronJob[]): Promise<void> {
    const body = JSON.stringify({ version: 1, jobs }, null, 2) + "\n";
    this.#writing = this.#writing.catch(() => {}).then(() =>
      writeFileAtomic(this.jobsFile, body, { mode: 0o600 })
    );
    return this.#writing;
  }

  /** Appends a record; every so often trims the file to the newest `keep`. */
  appendHistory(record: CronRunRecord, keep: number): Promise<void> {
    // One queue for appends and trims, so a trim never drops a record appended meanwhile.
    this.#history = this.#history.catch(() => {}).then(async () => {
      await Deno.mkdir(dirname(this.historyFile), { recursive: true });
      await Deno.writeTextFile(this.historyFile, JSON.stringify(record) + "\n", {
        append: true,
        mode: 0o600,
      });
      if (++this.#appends % 20 === 0) await this.#trim(keep);
    });
    return this.#history;
  }

  /** Records newest first, for one job or all, at most `limit`. */
  async readHistory(options: { jobId?: string; limit: number }): Promise<CronRunRecord[]> {
    const records = await this.#readAll();
    return records.filter((r) => !options.jobId || r.jobId === options.jobId).reverse()
      .slice(0, options.limit);
  }

  async #readAll(): Promise<CronRunRecord[]> {
    return await readJsonLines(this.historyFile) as CronRunRecord[];
  }

  async #trim(keep: number): Promise<void> {
    const records = await this.#readAll();
    if (records.length <= keep) return;
    const body = records.slice(-keep).map((r) => JSON.stringify(r) + "\n").join("");
    await writeFileAtomic(this.historyFile, body, { mode: 0o600 });
  }
}
