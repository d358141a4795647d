/**
 * @module Token usage and estimated cost per model turn: appended to `usage.jsonl` under the
 * state dir, and kept in memory only as running totals by day and model (a few hundred bytes a
 * day, however many calls), from which `usage.get` sums its answer. The totals are saved beside
 * the log now and then (`usage.totals.json`, see `_usage_totals.ts`), so a start reads those and
 * the log's newest lines, not a year of calls.
 */

import { dirname } from "../core/path.ts";
import { concatBytes } from "../core/bytes.ts";
import { bytesBefore, statIfExists, writeFileAtomic } from "../core/fs.ts";
import { isoTime } from "../core/iso_time.ts";
import { linesForward } from "../core/jsonl_lines.ts";
import { USAGE_MAX_DAYS } from "../core/protocol/limits.ts";
import { importLazily, loadOnce } from "../core/lazy_module.ts";
import type { Aggregates } from "./_usage_totals.ts";

const totalsModule = loadOnce(() =>
  importLazily<typeof import("./_usage_totals.ts")>(new URL("./_usage_totals.ts", import.meta.url))
);

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

/**
 * How far the log may grow past the saved totals before they are saved again (and at shutdown):
 * a start then reads at most about this much of the log (~400 calls), and a busy gateway
 * rewrites the small totals file every few hundred calls, not with every append.
 */
export const USAGE_TOTALS_EVERY_BYTES = 64 * 1024;

const DAY_MS = 86_400_000;
/**
 * How many bytes before the offset are kept to recognise the log: enough to hold the last
 * record's time, so two logs that end in calls alike but for when still differ.
 */
const CHECK_BYTES = 256;
const NEWLINE = 10;
const encoder = new TextEncoder();

/** Appends usage records and answers summaries over the last N days. */
export class UsageStore {
  readonly file: string;
  /** The saved totals of the log's first bytes (see `_usage_totals.ts`). */
  readonly totalsFile: string;
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
  /**
   * How many bytes of the log the loaded totals count: undefined until read, and once this
   * process cannot tell (an append that failed, or one whose lines were not counted).
   */
  #covered: number | undefined;
  /** The log's last bytes before {@linkcode #covered}. */
  #check: Uint8Array = new Uint8Array(0);
  /** The offset of the totals on disk. */
  #saved = 0;
  /** The log ends in a torn line: the next append starts on a line of its own. */
  #fence = false;
  /** {@linkcode flushSync} wrote: what the log holds is no longer tracked. */
  #exiting = false;

  /** @param options.batchMs how long records wait to share one append */
  constructor(file: string, options: { batchMs?: number } = {}) {
    this.file = file;
    this.totalsFile = file.replace(/(\.jsonl)?$/, ".totals.json");
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
        if (!this.#pending.length) {
          // Decided with no wait since the drain: a summary may drain records meanwhile, and
          // those that come while the totals are saved are written by this loop, not left.
          if (!this.#totalsDue(USAGE_TOTALS_EVERY_BYTES)) break;
          await this.#saveTotals(USAGE_TOTALS_EVERY_BYTES);
          continue;
        }
        const text = this.#takePending();
        const covered = this.#covered;
        this.#covered = undefined; // until the append is known to be whole
        try {
          if (!this.#created) {
            await Deno.mkdir(dirname(this.file), { recursive: true });
            // The mode applies when the file is made; later appends need not set it again.
            await Deno.writeTextFile(this.file, text, { append: true, mode: 0o600 });
            this.#created = true;
          } else {
            await Deno.writeTextFile(this.file, text, { append: true });
          }
        } catch (error) {
          // Part of it may be on disk (a full disk): the next append starts a line of its own,
          // not one glued to the torn part and lost with it.
          this.#fence = true;
          throw error;
        }
        if (aggregates && covered !== undefined && !this.#exiting) this.#appended(covered, text);
      }
    } finally {
      this.#writing = undefined;
      this.#wake = undefined;
    }
  }

  /** The pending lines as one append, on a line of their own. */
  #takePending(): string {
    const text = (this.#fence ? "\n" : "") + this.#pending.join("");
    this.#pending = [];
    this.#fence = false;
    return text;
  }

  /** Notes an append whose lines the loaded totals count. */
  #appended(covered: number, text: string): void {
    const bytes = encoder.encode(text);
    this.#covered = covered + bytes.length;
    const joined = concatBytes([this.#check, bytes]);
    this.#check = joined.slice(Math.max(0, joined.length - CHECK_BYTES));
  }

  /**
   * True when the log has grown `minBytes` past the saved totals and the loaded ones may be
   * taken now: every record they count is in the log, so they match its offset.
   */
  #totalsDue(minBytes: number): boolean {
    const covered = this.#covered;
    return this.#loaded !== undefined && covered !== undefined && !this.#pending.length &&
      !this.#exiting && covered - this.#saved >= minBytes;
  }

  /**
   * Saves the loaded totals when they are still due once the module that writes them is at hand
   * (it is: the totals were read with it). A failed save stops saving for this process; the log
   * is the record, and the next start reads more of it.
   */
  async #saveTotals(minBytes: number): Promise<void> {
    const { totalsText } = await totalsModule();
    const covered = this.#covered;
    if (!this.#totalsDue(minBytes) || covered === undefined) return;
    // A day goes when it is too old both by the clock and by the newest day counted: a clock,
    // or one record, years ahead must not drop the real ones.
    let newest = 0;
    for (const day of this.#loaded!.keys()) newest = Math.max(newest, Date.parse(day) || 0);
    const since = isoTime(Math.min(Date.now(), newest) - USAGE_MAX_DAYS * DAY_MS).slice(0, 10);
    const text = totalsText(this.#loaded!, covered, this.#check, since);
    this.#saved = covered;
    try {
      // The log's bytes reach the disk before totals that count them do (once per 64 KiB).
      const log = await Deno.open(this.file, { write: true });
      try {
        await log.syncData();
      } finally {
        log.close();
      }
      await writeFileAtomic(this.totalsFile, text, { mode: 0o600 });
    } catch {
      this.#covered = undefined;
    }
  }

  /** Writes what is pending now, and the totals when they lag the log (gateway shutdown). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#writing;
    if (this.#totalsDue(1)) await this.#saveTotals(1);
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
    const text = this.#takePending();
    // The next start reads these lines from the log; an append under way cannot tell where.
    this.#covered = undefined;
    this.#exiting = true;
    Deno.mkdirSync(dirname(this.file), { recursive: true });
    // A log never read may end on a torn line (a crash): these lines start their own.
    const fence = this.#loaded === undefined && !endsLine(this.file) ? "\n" : "";
    Deno.writeTextFileSync(this.file, fence + text, { append: true, mode: 0o600 });
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

  /**
   * The saved totals and the log's lines after them; the whole log, line by line, when there
   * are none that match it (the log holds every call ever made, memory only the totals).
   */
  async #read(): Promise<Aggregates> {
    const size = (await statIfExists(this.file))?.size ?? 0;
    const { readTotals } = await totalsModule();
    const saved = size
      ? await readTotals(this.totalsFile, this.file, size, CHECK_BYTES)
      : undefined;
    const aggregates: Aggregates = saved?.aggregates ?? new Map();
    for await (const { value } of linesForward(this.file, saved?.offset ?? 0, size)) {
      const record = value as UsageRecord;
      if (typeof record?.time === "string" && typeof record.provider === "string") {
        addRecord(aggregates, record);
      }
    }
    const check = size ? await bytesBefore(this.file, size, CHECK_BYTES) : new Uint8Array(0);
    this.#covered = size;
    this.#check = check;
    this.#saved = saved?.offset ?? 0;
    this.#fence = check.length > 0 && check[check.length - 1] !== NEWLINE;
    this.#loaded = aggregates;
    return aggregates;
  }
}

/** Whether `file` is missing, empty or ends with a newline (read synchronously: exit only). */
function endsLine(file: string): boolean {
  let handle: Deno.FsFile | undefined;
  try {
    handle = Deno.openSync(file, { read: true });
    const size = handle.statSync().size;
    if (size === 0) return true;
    handle.seekSync(size - 1, Deno.SeekMode.Start);
    const last = new Uint8Array(1);
    handle.readSync(last);
    return last[0] === NEWLINE;
  } catch {
    return true;
  } finally {
    handle?.close();
  }
}
