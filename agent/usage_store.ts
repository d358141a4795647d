/**
 * @module Token usage and estimated cost per model turn: appended to `usage.jsonl` under the
 * state dir, and kept in memory only as running totals by day and model (a few hundred bytes a
 * day, however many calls), from which `usage.get` sums its answer.
 */

import { dirname } from "../core/path.ts";
import { isoTime } from "../core/iso_time.ts";
import { linesForward } from "../core/jsonl_lines.ts";

/** One model call's usage. */
export interface UsageRecord {
  /** ISO time. */
  time: string;
  agentId?: string;
  sessionId?: string;
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** Estimated cost in USD, when the model's price is known. */
  cost?: number;
}

/** What `usage.get` returns. */
export interface UsageSummary {
  days: number;
  totalTokens: number;
  promptTokens: number;
  completionTokens: number;
  estimatedCost: number;
  requests: number;
  byDay: { date: string; totalTokens: number; estimatedCost: number; requests: number }[];
  byModel: {
    provider: string;
    model: string;
    totalTokens: number;
    estimatedCost: number;
    requests: number;
  }[];
  byProvider: { provider: string; totalTokens: number; estimatedCost: number; requests: number }[];
}

/** The running totals of one model on one day. */
interface DayModelTotals {
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  requests: number;
}

/** Totals by UTC date (`YYYY-MM-DD`), then by `provider/model`. */
type Aggregates = Map<string, Map<string, DayModelTotals>>;

function addRecord(aggregates: Aggregates, record: UsageRecord): void {
  const date = record.time.slice(0, 10);
  let day = aggregates.get(date);
  if (!day) aggregates.set(date, day = new Map());
  const key = `${record.provider}/${record.model}`;
  let totals = day.get(key);
  if (!totals) {
    totals = {
      provider: record.provider,
      model: record.model,
      promptTokens: 0,
      completionTokens: 0,
      cost: 0,
      requests: 0,
    };
    day.set(key, totals);
  }
  totals.promptTokens += record.promptTokens || 0;
  totals.completionTokens += record.completionTokens || 0;
  totals.cost += record.cost ?? 0;
  totals.requests += 1;
}

/** How long records wait to share one append: a busy gateway writes a few times a second. */
export const USAGE_BATCH_MS = 200;

/** Appends usage records and answers summaries over the last N days. */
export class UsageStore {
  readonly file: string;
  #loading: Promise<Aggregates> | undefined;
  #loaded: Aggregates | undefined;
  /** Calls recorded but not yet counted (with when: ms, or the ISO time they were given). */
  #queued: { entry: Omit<UsageRecord, "time">; at: number | string }[] = [];
  /** Lines not yet on disk, and the write that will take them. */
  #pending: string[] = [];
  #writing: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #wake: (() => void) | undefined;
  #created = false;
  #batchMs: number;

  /** @param options.batchMs how long records wait to share one append */
  constructor(file: string, options: { batchMs?: number } = {}) {
    this.file = file;
    this.#batchMs = options.batchMs ?? USAGE_BATCH_MS;
  }

  /**
   * Records one model call. It counts in summaries at once; the returned promise resolves once
   * it is on disk. Records arriving within {@linkcode USAGE_BATCH_MS} share one append, made
   * off the request's path (an append per request cost each `/v1` request and turn an fs call);
   * callers on a request path should not wait for it. Only the call and its time are noted
   * here: the record's JSON and the day's totals are made with the batch, or by a summary that
   * comes first (on every `/v1` request they were a tenth of the gateway's own code).
   */
  record(entry: Omit<UsageRecord, "time"> & { time?: string }): Promise<void> {
    this.#queued.push({ entry, at: entry.time ?? Date.now() });
    return (this.#writing ??= this.#writePending());
  }

  /**
   * Turns the queued calls into records: counted in `aggregates` (when loaded) and lines for the
   * next append. Counting needs the file read first: loading after the append would read these
   * records from the file and then count them a second time.
   */
  #drain(aggregates: Aggregates | undefined): void {
    for (const { entry, at } of this.#queued) {
      const record = { time: typeof at === "string" ? at : isoTime(at), ...entry } as UsageRecord;
      if (aggregates) addRecord(aggregates, record);
      this.#pending.push(JSON.stringify(record) + "\n");
    }
    this.#queued = [];
  }

  async #writePending(): Promise<void> {
    try {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, this.#batchMs);
      });
      // A file that cannot be read now gets the lines uncounted: the next read counts them there.
      const aggregates = await this.#load().catch(() => undefined);
      for (;;) {
        this.#drain(aggregates);
        if (!this.#pending.length) break;
        const text = this.#pending.join("");
        this.#pending = [];
        if (!this.#created) {
          await Deno.mkdir(dirname(this.file), { recursive: true });
          // The mode applies when the file is made; later appends need not set it again.
          await Deno.writeTextFile(this.file, text, { append: true, mode: 0o600 });
          this.#created = true;
        } else {
          await Deno.writeTextFile(this.file, text, { append: true });
        }
      }
    } finally {
      this.#writing = undefined;
      this.#wake = undefined;
    }
  }

  /** Writes what is pending now (gateway shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#writing;
  }

  /**
   * Writes what is pending now, synchronously: for an exit that cannot wait (the shutdown
   * timeout, a second Ctrl-C), where an async write would be cut off. A batch already handed
   * to an async append is that append's.
   */
  flushSync(): void {
    // Not counted when the file was never read: it will be, with these lines in it.
    this.#drain(this.#loaded);
    if (!this.#pending.length) return;
    const text = this.#pending.join("");
    this.#pending = [];
    Deno.mkdirSync(dirname(this.file), { recursive: true });
    Deno.writeTextFileSync(this.file, text, { append: true, mode: 0o600 });
    this.#created = true;
  }

  /** Totals over the last `days` days (today included), by day and by model. */
  async summary(days = 30, now = new Date()): Promise<UsageSummary> {
    const since = new Date(now);
    since.setUTCHours(0, 0, 0, 0);
    since.setUTCDate(since.getUTCDate() - (days - 1));
    const byDay = new Map<string, UsageSummary["byDay"][number]>();
    const byModel = new Map<string, UsageSummary["byModel"][number]>();
    const summary: UsageSummary = {
      days,
      totalTokens: 0,
      promptTokens: 0,
      completionTokens: 0,
      estimatedCost: 0,
      requests: 0,
      byDay: [],
      byModel: [],
      byProvider: [],
    };
    const byProvider = new Map<string, UsageSummary["byProvider"][number]>();
    const sinceDate = since.toISOString().slice(0, 10);
    const aggregates = await this.#load();
    this.#drain(aggregates);
    for (const [date, models] of aggregates) {
      if (date < sinceDate) continue;
      for (const [key, record] of models) {
        const tokens = record.promptTokens + record.completionTokens;
        const cost = record.cost;
        summary.totalTokens += tokens;
        summary.promptTokens += record.promptTokens;
        summary.completionTokens += record.completionTokens;
        summary.estimatedCost += cost;
        summary.requests += record.requests;
        const day = byDay.get(date) ?? { date, totalTokens: 0, estimatedCost: 0, requests: 0 };
        day.totalTokens += tokens;
        day.estimatedCost += cost;
        day.requests += record.requests;
        byDay.set(date, day);
        const model = byModel.get(key) ??
          {
            provider: record.provider,
            model: record.model,
            totalTokens: 0,
            estimatedCost: 0,
            requests: 0,
          };
        model.totalTokens += tokens;
        model.estimatedCost += cost;
        model.requests += record.requests;
        byModel.set(key, model);
        const provider = byProvider.get(record.provider) ??
          { provider: record.provider, totalTokens: 0, estimatedCost: 0, requests: 0 };
        provider.totalTokens += tokens;
        provider.estimatedCost += cost;
        provider.requests += record.requests;
        byProvider.set(record.provider, provider);
      }
    }
    summary.byDay = [...byDay.values()].sort((a, b) => a.date.localeCompare(b.date));
    summary.byModel = [...byModel.values()].sort((a, b) => b.totalTokens - a.totalTokens);
    summary.byProvider = [...byProvider.values()].sort((a, b) => b.totalTokens - a.totalTokens);
    summary.estimatedCost = Math.round(summary.estimatedCost * 1e6) / 1e6;
    return summary;
  }

  /** The totals of the records on disk, read once; later calls share the same read. */
  #load(): Promise<Aggregates> {
    this.#loading ??= this.#read().catch((error) => {
      this.#loading = undefined; // a failed read is retried next time
      throw error;
    });
    return this.#loading;
  }

  async #read(): Promise<Aggregates> {
    // Line by line: the file holds every call ever made, memory only the totals.
    const aggregates: Aggregates = new Map();
    for await (const { value } of linesForward(this.file)) {
      const record = value as UsageRecord;
      if (typeof record?.time === "string" && typeof record.provider === "string") {
        addRecord(aggregates, record);
      }
    }
    this.#loaded = aggregates;
    return aggregates;
  }
}
