/**
 * @module The usage totals file beside `usage.jsonl`: the day-and-model totals of the log's first
 * `offset` bytes, with the bytes just before that offset to tell the same log from an edited or
 * replaced one. A start reads it and only the log's lines after `offset`, so its cost does not
 * grow with the log's age; the log stays the record, and without a matching totals file it is
 * read whole, as before. Imported on first use (the first model call or `usage.get`), not at start.
 */

import { hex } from "../core/bytes.ts";
import { bytesBefore } from "../core/fs.ts";

/** The running totals of one model on one day. */
export interface DayModelTotals {
  provider: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  cost: number;
  requests: number;
}

/** Totals by UTC date (`YYYY-MM-DD`), then by `provider/model`. */
export type Aggregates = Map<string, Map<string, DayModelTotals>>;

/** The totals of a log's first `offset` bytes. */
export interface CoveredTotals {
  aggregates: Aggregates;
  offset: number;
}

const VERSION = 1;

/** `[provider, model, promptTokens, completionTokens, cost, requests]`. */
type Row = [string, string, number, number, number, number];

interface TotalsFile {
  version: number;
  offset: number;
  /** The bytes before `offset`, as hex. */
  check: string;
  days: Record<string, Row[]>;
}

/** The totals file's text; days before `since` (`YYYY-MM-DD`) are left out. */
export function totalsText(
  aggregates: Aggregates,
  offset: number,
  check: Uint8Array,
  since: string,
): string {
  const days: Record<string, Row[]> = {};
  for (const [date, models] of aggregates) {
    if (date < since) continue;
    days[date] = [...models.values()].map((t) => [
      t.provider,
      t.model,
      t.promptTokens,
      t.completionTokens,
      t.cost,
      t.requests,
    ]);
  }
  const file: TotalsFile = { version: VERSION, offset, check: hex(check), days };
  return JSON.stringify(file);
}

/**
 * The totals in `totalsFile`, when it is whole and matches `log` as it is now (at least
 * `offset` bytes, with the same `checkBytes` before it, or all of them when fewer); otherwise
 * `undefined`, and the log is read whole.
 */
export async function readTotals(
  totalsFile: string,
  log: string,
  logSize: number,
  checkBytes: number,
): Promise<CoveredTotals | undefined> {
  let file: TotalsFile;
  try {
    file = JSON.parse(await Deno.readTextFile(totalsFile));
  } catch {
    return undefined; // missing, or not whole: a full read rebuilds it
  }
  if (
    file?.version !== VERSION || !Number.isSafeInteger(file.offset) || file.offset < 0 ||
    file.offset > logSize || typeof file.check !== "string" || typeof file.days !== "object" ||
    file.days === null
  ) return undefined;
  // As many bytes as are kept (fewer only near the log's start), and the same ones.
  if (hex(await bytesBefore(log, file.offset, checkBytes)) !== file.check) return undefined;
  const aggregates: Aggregates = new Map();
  for (const [date, rows] of Object.entries(file.days)) {
    if (!Array.isArray(rows)) return undefined;
    const models = new Map<string, DayModelTotals>();
    for (const row of rows) {
      if (!isRow(row)) return undefined;
      const [provider, model, promptTokens, completionTokens, cost, requests] = row;
      models.set(`${provider}/${model}`, {
        provider,
        model,
        promptTokens,
        completionTokens,
        cost,
        requests,
      });
    }
    aggregates.set(date, models);
  }
  return { aggregates, offset: file.offset };
}

function isRow(row: unknown): row is Row {
  return Array.isArray(row) && row.length === 6 && typeof row[0] === "string" &&
    typeof row[1] === "string" && row.slice(2).every((n) => typeof n === "number");
}
