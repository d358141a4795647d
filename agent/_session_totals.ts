/**
 * @module What `session_status` counts in a session file (messages, tokens by model, the newest
 * model turn, first and last times), kept in memory per file and extended by the lines appended
 * since: a long-lived session (heartbeat, cron, a chat channel) grows to tens of MB, and reading
 * it all on every call cost each call more than the last.
 */

import { bytesEqual, lastIndexOf, startsWith } from "../core/bytes.ts";
import { bytesBefore, readRange } from "../core/fs.ts";
import { lineBatchesForward, type RawLine } from "../core/jsonl_lines.ts";
import type { Usage } from "./providers/types.ts";
import {
  COMPACTION_LINE_PREFIX,
  entryOfLine,
  isCompaction,
  type SessionEntry,
  type SessionStore,
} from "./sessions/session_store.ts";

/** The tokens one model spent in a session: its turns' usages summed. */
export interface ModelTokens extends Usage {
  provider?: string;
  model?: string;
}

/** What a session file holds, as `session_status` reports it. */
export interface SessionCounts {
  /** Lines that are not compaction summaries. */
  messages: number;
  /** The newest message's time. */
  updatedAt: string | null;
  /** The first message's time; `undefined` while there is none. */
  startedAt?: string | null;
  /** Tokens by `provider/model`. */
  byModel: Map<string, ModelTokens>;
  /** The newest model turn. */
  last?: { provider: string; model: string; tokens: number };
}

/** The counts of a file's first `covered` bytes (whole lines), and how to tell it is the same. */
interface Counted extends SessionCounts {
  covered: number;
  /** The bytes before `covered`. */
  check: Uint8Array;
  /** The last line, when it was counted without being read (see {@linkcode countLine}). */
  lastUnread?: { offset: number; end: number };
}

/** How many sessions' counts are kept (the most recently asked). */
const MAX_SESSIONS = 256;
const CHECK_BYTES = 64;

/** A usage key as JSON writes it; inside a JSON string its quotes would be escaped. */
const USAGE = new TextEncoder().encode('"usage":{');

/** Counts sessions' files, reading only what was appended since the last count. */
export class SessionTotals {
  #sessions: SessionStore;
  #counted = new Map<string, Counted>();
  /** Bumped by every cut, rewrite or removal: a count read across one is not kept. */
  #rewrites = 0;

  constructor(sessions: SessionStore) {
    this.#sessions = sessions;
    sessions.onChange(({ agentId, sessionId, kind }) => {
      if (kind === "append") return;
      this.#rewrites++;
      this.#counted.delete(`${agentId}/${sessionId}`);
    });
  }

  /** The counts of a session's file as it is now (none for a missing file). */
  async count(agentId: string, sessionId: string): Promise<SessionCounts> {
    const key = `${agentId}/${sessionId}`;
    const path = this.#sessions.file(agentId, sessionId);
    const rewrites = this.#rewrites;
    // Waits for this store's writes under way, as every read of the store does.
    const size = await this.#sessions.size(agentId, sessionId);
    const counted = await this.#stillValid(path, size, this.#counted.get(key)) ?? fresh();
    let torn: RawLine | undefined;
    // The newest whole line this call read, kept so that the answer need not read it again
    // (`lineBatchesForward` gives each batch a buffer of its own, so its bytes stay as they are).
    let ended: RawLine | undefined;
    const from = counted.covered;
    // Nothing appended since the last count: no read at all.
    if (from < size) {
      for await (const batch of lineBatchesForward(path, from, size)) {
        for (const line of batch) {
          // A line with no newline yet is counted for this answer only: it may still grow.
          if (!line.ended) torn = line;
          else {
            countLine(counted, line);
            ended = line;
          }
        }
      }
    }
    if (counted.covered !== from) {
      counted.check = await bytesBefore(path, counted.covered, CHECK_BYTES);
    }
    if (rewrites === this.#rewrites) this.#keep(key, counted);
    return await this.#withNewest(path, counted, torn, ended);
  }

  /** `counted` when the file still holds what it counted; a copy, so a failed read spoils none. */
  async #stillValid(
    path: string,
    size: number,
    counted: Counted | undefined,
  ): Promise<Counted | undefined> {
    if (!counted || counted.covered === 0 || counted.covered > size) return undefined;
    const before = await bytesBefore(path, counted.covered, CHECK_BYTES);
    if (!bytesEqual(before, counted.check)) return undefined;
    return structuredClone(counted);
  }

  #keep(key: string, counted: Counted): void {
    this.#counted.delete(key); // re-added last: the most recently asked
    this.#counted.set(key, counted);
    if (this.#counted.size > MAX_SESSIONS) this.#counted.delete(this.#counted.keys().next().value!);
  }

  /**
   * The answer: the newest line is always read, the others only when they may hold a usage or a
   * compaction; so the newest line counted unread, or a torn one, is read now: from `ended` (the
   * newest whole line this call read) when it is that line, else from the file.
   */
  async #withNewest(
    path: string,
    counted: Counted,
    torn?: RawLine,
    ended?: RawLine,
  ): Promise<SessionCounts> {
    const answer: SessionCounts = {
      messages: counted.messages,
      updatedAt: counted.updatedAt,
      startedAt: counted.startedAt,
      byModel: new Map([...counted.byModel].map(([key, tokens]) => [key, { ...tokens }])),
      last: counted.last,
    };
    let newest = torn?.bytes;
    if (!torn && counted.lastUnread) {
      answer.messages--;
      const { offset, end } = counted.lastUnread;
      newest = ended?.offset === offset
        ? ended.bytes // without its newline, as the range read is
        : await readRange(path, offset, end - 1);
    }
    if (!newest) return answer;
    const entry = entryOfLine(newest);
    if (!entry || isCompaction(entry)) return answer;
    if (answer.startedAt === undefined) answer.startedAt = entry.time ?? null;
    countEntry(answer, entry);
    return answer;
  }
}

function fresh(): Counted {
  return { covered: 0, check: new Uint8Array(0), messages: 0, updatedAt: null, byModel: new Map() };
}

/**
 * Counts one whole line that is not the newest, as `session_status` always has: only compaction
 * lines and lines with a usage key are parsed (a tool's output, however large, is counted as a
 * message without being parsed), and until the first message is found, every line.
 */
function countLine(counted: Counted, line: RawLine): void {
  const read = startsWith(line.bytes, COMPACTION_LINE_PREFIX) ||
    lastIndexOf(line.bytes, USAGE) >= 0;
  const entry = read || counted.startedAt === undefined ? entryOfLine(line.bytes) : undefined;
  if (counted.startedAt === undefined && entry && !isCompaction(entry)) {
    counted.startedAt = entry.time ?? null;
  }
  counted.covered = line.end;
  counted.lastUnread = read ? undefined : { offset: line.offset, end: line.end };
  if (!read) counted.messages++;
  else if (entry && !isCompaction(entry)) countEntry(counted, entry);
}

/** Counts a message that was read; later ones win the newest time and model turn. */
function countEntry(counts: SessionCounts, entry: SessionEntry): void {
  counts.messages++;
  if (entry.time != null) counts.updatedAt = entry.time;
  if (entry.role !== "assistant" || !entry.usage) return;
  const usage: Usage = entry.usage;
  const key = JSON.stringify([entry.provider, entry.model]);
  let tokens = counts.byModel.get(key);
  if (!tokens) {
    tokens = {
      provider: entry.provider,
      model: entry.model,
      promptTokens: 0,
      completionTokens: 0,
      totalTokens: 0,
    };
    counts.byModel.set(key, tokens);
  }
  tokens.promptTokens += usage.promptTokens;
  tokens.completionTokens += usage.completionTokens;
  tokens.totalTokens += usage.totalTokens;
  counts.last = {
    provider: entry.provider ?? "",
    model: entry.model ?? "",
    tokens: usage.promptTokens + usage.completionTokens,
  };
}
