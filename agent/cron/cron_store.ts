/**
 * @module Cron jobs and their run history on disk: `<state>/cron/jobs.json` (rewritten
 * atomically) and `<state>/cron/history.jsonl` (appended; trimmed to the configured length by
 * the first append of a process and whenever the file has doubled since, so a gateway restarted
 * often trims it as well as one that runs for months; read from its end).
 */

import { dirname, join } from "../../core/path.ts";
import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import { readTextIfExists, writeFileAtomic } from "../../core/fs.ts";
import { linesBackward } from "../../core/jsonl_lines.ts";

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

/**
 * Every record starts so (`id` is its first key): a record appended onto the torn end of a
 * crashed write is read back, not dropped with it by the next trim.
 */
const LINES = { lineStart: new TextEncoder().encode('{"id":"') };

/** The files of one state dir's cron. */
export class CronStore {
  readonly jobsFile: string;
  readonly historyFile: string;
  #writing: Promise<void> = Promise.resolve();
  #history: Promise<void> = Promise.resolve();
  /** The history file's size after this process last trimmed it; unset until its first append. */
  #trimmedSize: number | undefined;

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

  /**
   * Appends a record. The first append of a process trims the file to the newest `keep`, and so
   * does any append that finds it twice its size after the last trim: it holds at most about
   * twice `keep` records, however often the gateway restarts, and a trim reads only its tail.
   */
  appendHistory(record: CronRunRecord, keep: number): Promise<void> {
    // One queue for appends and trims, so a trim never drops a record appended meanwhile.
    this.#history = this.#history.catch(() => {}).then(async () => {
      await Deno.mkdir(dirname(this.historyFile), { recursive: true });
      await Deno.writeTextFile(this.historyFile, JSON.stringify(record) + "\n", {
        append: true,
        mode: 0o600,
      });
      const { size } = await Deno.stat(this.historyFile);
      if (this.#trimmedSize === undefined || size > 2 * this.#trimmedSize) {
        // The record is written: a trim that fails (a full disk) fails no run's record, and is
        // tried again once the file has doubled, not at every append.
        this.#trimmedSize = await this.#trim(keep, size).catch(() => size);
      }
    });
    return this.#history;
  }

  /**
   * Records newest first, for one job or all, at most `limit`, among the newest `keep` of the
   * file (what a trim keeps, whenever the last one ran). Reads from the end, and stops there.
   */
  async readHistory(
    options: { jobId?: string; limit: number; keep: number },
  ): Promise<CronRunRecord[]> {
    const records: CronRunRecord[] = [];
    let seen = 0;
    for await (const { value } of linesBackward(this.historyFile, undefined, LINES)) {
      if (++seen > options.keep) break;
      const record = value as CronRunRecord;
      if (options.jobId && record.jobId !== options.jobId) continue;
      records.push(record);
      if (records.length >= options.limit) break;
    }
    return records;
  }

  /** Keeps the newest `keep` records; answers the file's size after. */
  async #trim(keep: number, size: number): Promise<number> {
    const kept: unknown[] = [];
    let from = 0;
    for await (const { offset, value } of linesBackward(this.historyFile, undefined, LINES)) {
      kept.push(value);
      from = offset;
      if (kept.length >= keep) break;
    }
    if (from === 0) return size;
    const body = kept.reverse().map((r) => JSON.stringify(r) + "\n").join("");
    await writeFileAtomic(this.historyFile, body, { mode: 0o600 });
    return new TextEncoder().encode(body).length;
  }
}
