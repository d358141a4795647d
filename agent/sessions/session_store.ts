/**
 * @module Session files: `agents/<agentId>/sessions/<sessionId>.jsonl` under the state dir, one
 * JSON entry a line, appended as a conversation goes (the format is in `docs/sessions.md`).
 * Reads go from the end backwards, so a turn or a page costs the same in a session of 20
 * messages and of 20,000. Images live as files beside the session (`<sessionId>.files/`), and
 * lines name them. A torn last line (a crash mid-write) is skipped on read and fenced off before
 * the next append; rewrites go through a temp file, cuts (resend, edit) truncate.
 */

import { dirname, join } from "../../core/path.ts";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import { readAt, statIfExists, writeFileAtomic } from "../../core/fs.ts";
import { containedRealPath, type StatePaths } from "../../core/paths.ts";
import type { ToolCall, Usage } from "../providers/types.ts";
import {
  isLineStart,
  linesBackward,
  linesForward,
  parseLine,
  UNPARSED,
} from "../../core/jsonl_lines.ts";
import { type StoredPart, storeImages } from "./session_images.ts";
import {
  countSessionFiles,
  isValidSessionId,
  listSessionFiles,
  resolveSessionPath,
  type SessionFileInfo,
  sessionIdsOfPath,
  type SessionRef,
} from "./_session_files.ts";
import { type CachedTail, SessionTails } from "./_session_tails.ts";

export type { StoredPart } from "./session_images.ts";

/** One message line of a session file. */
export interface SessionMessage {
  role: "user" | "assistant" | "tool";
  /** Images are stored as files (`{ type: "image", mimeType, file }`); old lines may inline them. */
  content: string | StoredPart[];
  /** ISO time. */
  time: string;
  /** Assistant: the tools it called. */
  toolCalls?: ToolCall[];
  /**
   * Assistant: tools the model asked for in a round that offered none; they were not run
   * (`stopReason` says why). The content is the model's own text only.
   */
  unrunToolCalls?: ToolCall[];
  /** Assistant: why the turn ended with `unrunToolCalls` (see `StopReason` in run_types.ts). */
  stopReason?: "toolLimit" | "noTools";
  /** Tool: the call it answers, and the tool's name. */
  toolCallId?: string;
  name?: string;
  /** Tool: the result failed. */
  isError?: boolean;
  /** Assistant: who answered, and what it cost. */
  provider?: string;
  model?: string;
  usage?: Usage;
  /** Assistant: the answer was cut short by an abort; what is here is the partial text. */
  aborted?: boolean;
  /** Assistant: the run failed with this message. */
  error?: string;
}

/**
 * A compaction line: `content` summarises everything before byte `keptFrom` of the file (what
 * an earlier compaction summarised included); the lines from `keptFrom` on stay as they are.
 */
export interface CompactionEntry {
  role: "compaction";
  content: string;
  time: string;
  /** Byte offset of the first line the summary does not cover. */
  keptFrom: number;
  /** Byte offset where the lines this compaction summarised begin (the previous `keptFrom`). */
  compactedFrom: number;
  /** How many message lines it summarised. */
  messagesCompacted: number;
  /** Estimated tokens of the prompt before and after. */
  tokensBefore: number;
  tokensAfter: number;
  provider?: string;
  model?: string;
}

/** Any line of a session file. */
export type SessionEntry = SessionMessage | CompactionEntry;

/** An entry and where its line is. */
export interface LocatedEntry {
  offset: number;
  end: number;
  entry: SessionEntry;
}

/** The parsed end of a session as an append left it (see `appendAndTail`), oldest first. */
export type SessionTailSnapshot = CachedTail<LocatedEntry>;

/** One page of a session, newest last; `nextCursor` fetches the page before it. */
export interface SessionPage {
  messages: SessionEntry[];
  /** Pass as `cursor` for the older page; `null` when this page reaches the first line. */
  nextCursor: string | null;
}

export { isValidSessionId, type SessionFileInfo, type SessionRef } from "./_session_files.ts";

/** A change this store made to a session file (for copies kept elsewhere: the memory index). */
export interface SessionChange {
  agentId: string;
  sessionId: string;
  kind: "append" | "truncate" | "replace" | "reset" | "delete";
}

/** How many session files' ends the store remembers (the most recently written). */
const MAX_REMEMBERED_ENDS = 1_024;

/**
 * How old a stat started by `prepareAppend` may be when its append uses it. A turn takes it
 * within a fraction of a millisecond, but a loaded machine may stall a process for tens of ms
 * (and a stat taken twice would break the one-stat budget of `hot_path_test`); a change from
 * outside in between goes unseen by this append, as one between an append's stat and its write
 * always could, and the next append's stat finds it. Mostly the bound drops a stat left by a
 * turn that never appended (aborted before it ran).
 */
const PRESTAT_MS = 1_000;
const MAX_PRESTATS = 64;

/** Reads, appends and rewrites session files; one writer at a time per file. */
export class SessionStore {
  readonly paths: StatePaths;
  #locks = new Map<string, Promise<unknown>>();
  /** Session file -> its size after this store's last append (forgotten by cuts and rewrites). */
  #ends = new Map<string, number>();
  /** Parsed ends of active sessions, so a turn's context needs no read of its file. */
  #tails = new SessionTails<LocatedEntry>();
  /** Session ids -> file paths, as {@linkcode file} checked and built them. */
  #files = new Map<string, string>();
  /** Stats started ahead of a checked append (see {@linkcode prepareAppend}). */
  #prestats = new Map<string, { at: number; info: Promise<Deno.FileInfo | undefined> }>();
  #listeners = new Set<(change: SessionChange) => void>();
  /** Session file -> how many times it was reset or deleted through this store. */
  #generations = new Map<string, number>();
  /** Session file -> its generation when its current turn began (see {@linkcode beginTurn}). */
  #turns = new Map<string, number>();

  constructor(paths: StatePaths) {
    this.paths = paths;
  }

  /**
   * Calls `listener` after each change this store makes to a session file (every path that
   * deletes, resets or cuts a session goes through here: RPC, the CLI's local route, turns).
   * It runs synchronously, before the changing call resolves. Returns the unsubscribe.
   */
  onChange(listener: (change: SessionChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(agentId: string, sessionId: string, kind: SessionChange["kind"]): void {
    for (const listener of this.#listeners) {
      try {
        listener({ agentId, sessionId, kind });
      } catch { /* a listener's failure is its own; the file changed regardless */ }
    }
  }

  /**
   * The file of a session.
   *
   * @throws {GatewayError} INVALID_PARAMS for an id that is not a safe file name
   */
  file(agentId: string, sessionId: string): string {
    // Valid ids hold no "/": the key names one pair. A turn asks several times.
    const key = `${agentId}/${sessionId}`;
    let path = this.#files.get(key);
    if (path !== undefined) return path;
    for (const [what, id] of [["agent", agentId], ["session", sessionId]]) {
      if (!isValidSessionId(id)) {
        throw new GatewayError(ErrorCode.INVALID_PARAMS, `Invalid ${what} id: ${id}`);
      }
    }
    path = join(this.paths.sessionsDir(agentId), `${sessionId}.jsonl`);
    if (this.#files.size >= MAX_REMEMBERED_ENDS) this.#files.clear();
    this.#files.set(key, path);
    return path;
  }

  /**
   * Refuses a session whose file is not a plain file inside the state dir (a link, even to a
   * file outside it, or a folder), as the read paths (`resolvePath`) refuse it, before a turn
   * reads or writes anything. Nothing is checked (and undefined returned) for a session whose
   * file this store wrote last: its next checked append looks at the file itself.
   *
   * @throws {GatewayError} INVALID_PARAMS for an id that is not a safe file name, or a file
   * that is not a session
   */
  check(agentId: string, sessionId: string): Promise<void> | undefined {
    const path = this.file(agentId, sessionId);
    if (this.#ends.has(path)) return undefined;
    return (async () => {
      if (!(await containedRealPath(this.paths.agentsDir, path))) throw notASession(path);
      await sessionStat(path);
    })();
  }

  /**
   * Starts the `stat` that the session's next checked append ({@linkcode appendAndTail}) makes,
   * so that it runs while the turn is prepared instead of after (issue 17, turn overhead). The
   * append uses it only when it begins within {@linkcode PRESTAT_MS} with no write of this store
   * to the file in between; otherwise it stats anew. Nothing is started for a session this
   * store has not written, or while a write to it is under way.
   */
  prepareAppend(agentId: string, sessionId: string): void {
    const path = this.file(agentId, sessionId);
    if (this.#locks.has(path) || !this.#ends.has(path)) return;
    const info = sessionStat(path);
    info.catch(() => {}); // whoever takes it awaits it; a stat left untaken fails quietly
    if (this.#prestats.size >= MAX_PRESTATS) this.#prestats.clear();
    this.#prestats.set(path, { at: performance.now(), info });
  }

  /** The stat {@linkcode prepareAppend} started for `path`, if it may stand in for a fresh one. */
  #takePrestat(path: string): Promise<Deno.FileInfo | undefined> | undefined {
    const prestat = this.#prestats.get(path);
    if (!prestat) return undefined;
    this.#prestats.delete(path);
    // With a write queued first, the file may change before this append's turn comes.
    if (this.#locks.has(path) || performance.now() - prestat.at > PRESTAT_MS) return undefined;
    return prestat.info;
  }

  /**
   * The session's generation: it changes each time the session is reset or deleted. A writer
   * that must not outlive one (a compaction) takes it when it starts and appends with
   * {@linkcode appendUnlessReset}.
   */
  generation(agentId: string, sessionId: string): number {
    return this.#generations.get(this.file(agentId, sessionId)) ?? 0;
  }

  /**
   * Marks the start of a turn on the session file at `path` (as {@linkcode file} gave it): the
   * turn's writes (`appendAndTail`, `appendToTurn`, `truncate`) are dropped once the session is
   * reset or deleted, so a turn that outlives a reset (a tool that ignored the abort) writes
   * nothing into the emptied or recreated file. One turn at a time per session (the chat
   * service's queue); no file is touched.
   */
  beginTurn(path: string): number {
    const generation = this.#generations.get(path) ?? 0;
    this.#turns.set(path, generation);
    return generation;
  }

  /**
   * Marks the end of the turn {@linkcode beginTurn} began (`generation`, what it returned): the
   * map holds running turns only, so it never has to be trimmed (trimming it dropped the fence
   * of turns still running). A turn that ends after a later one began leaves that one's entry.
   */
  endTurn(path: string, generation: number): void {
    if (this.#turns.get(path) === generation) this.#turns.delete(path);
  }

  /** True when the session was reset or deleted since its current turn began. */
  #turnFenced(path: string): boolean {
    const began = this.#turns.get(path);
    return began !== undefined && began !== (this.#generations.get(path) ?? 0);
  }

  #fence(path: string): void {
    this.#generations.set(path, (this.#generations.get(path) ?? 0) + 1);
  }

  async exists(agentId: string, sessionId: string): Promise<boolean> {
    return (await statIfExists(this.file(agentId, sessionId)))?.isFile ?? false;
  }

  /**
   * Every entry of a session, oldest first; none when the file does not exist. This reads the
   * whole file: for exports and transcript indexing, never for a turn.
   */
  async read(agentId: string, sessionId: string): Promise<SessionEntry[]> {
    const entries: SessionEntry[] = [];
    for await (const line of linesForward(this.file(agentId, sessionId), 0, undefined, LINES)) {
      if (isEntry(line.value)) entries.push(line.value);
    }
    return entries;
  }

  /**
   * Entries ending at or before byte `before` (default: the end), newest first. From the end,
   * a session's cached tail serves what it holds after one `stat`, and what is read from the
   * file is kept for the next turn. Entries from the end are frozen: readers share them.
   */
  async *backward(
    agentId: string,
    sessionId: string,
    before?: number,
  ): AsyncGenerator<LocatedEntry> {
    const path = this.file(agentId, sessionId);
    if (this.#locks.has(path)) await this.#settled(path);
    const info = before === undefined ? await statIfExists(path) : undefined;
    if (!info) {
      yield* entriesBackward(path, before);
      return;
    }
    const epoch = this.#tails.epoch;
    const tail = this.#tails.valid(path, info);
    const read: LocatedEntry[] = [];
    try {
      if (tail) {
        // A copy: an append while the caller holds this generator must not shift it.
        const cached = tail.entries.slice();
        for (let i = cached.length - 1; i >= 0; i--) yield cached[i];
        if (tail.from === 0) return;
      }
      for await (const located of entriesBackward(path, tail ? tail.from : info.size)) {
        read.push(located);
        yield located;
      }
    } finally {
      // Kept also when the caller stopped early: what it read is a suffix all the same.
      if (tail) this.#tails.prepend(path, tail, read, epoch);
      else this.#tails.store(path, info, read, epoch);
    }
  }

  /**
   * Like {@linkcode backward}, but only lines passing `parseIf` (checked on the raw bytes when
   * reached) are parsed; the others come with no entry, just their place and size.
   */
  async *scanBackward(
    agentId: string,
    sessionId: string,
    parseIf: (line: Uint8Array) => boolean,
  ): AsyncGenerator<{ offset: number; end: number; entry?: SessionEntry }> {
    const path = this.file(agentId, sessionId);
    if (this.#locks.has(path)) await this.#settled(path);
    const lines = linesBackward(path, undefined, { ...LINES, parseIf });
    for await (const line of lines) {
      if (line.value === UNPARSED) yield { offset: line.offset, end: line.end };
      else if (isEntry(line.value)) yield { offset: line.offset, end: line.end, entry: line.value };
    }
  }

  /** Entries whose lines start in `[start, end)`, oldest first. */
  async *forward(
    agentId: string,
    sessionId: string,
    start: number,
    end?: number,
  ): AsyncGenerator<LocatedEntry> {
    const path = this.file(agentId, sessionId);
    if (this.#locks.has(path)) await this.#settled(path);
    for await (const line of linesForward(path, start, end, LINES)) {
      if (isEntry(line.value)) yield { offset: line.offset, end: line.end, entry: line.value };
    }
  }

  /** The session file's size in bytes (0 when it does not exist). */
  async size(agentId: string, sessionId: string): Promise<number> {
    const path = this.file(agentId, sessionId);
    if (this.#locks.has(path)) await this.#settled(path);
    return (await statIfExists(path))?.size ?? 0;
  }

  /**
   * Appends entries, creating the file (mode 0600) when needed. Inline images are written as
   * files beside the session first, and the line names the file. Returns the byte offset of
   * the first appended line.
   */
  async append(agentId: string, sessionId: string, ...entries: SessionEntry[]): Promise<number> {
    if (!entries.length) return await this.size(agentId, sessionId);
    const appended = await this.#append(agentId, sessionId, entries, {});
    await appended.written;
    return appended.offset;
  }

  /**
   * Appends like {@linkcode append} while the session is still at `generation` (as
   * {@linkcode generation} gave it); once it was reset or deleted nothing is written and
   * undefined returned. The check and the write are one step: a reset comes before or after.
   */
  async appendUnlessReset(
    agentId: string,
    sessionId: string,
    generation: number,
    ...entries: SessionEntry[]
  ): Promise<number | undefined> {
    const appended = await this.#append(agentId, sessionId, entries, { generation });
    await appended.written;
    return appended.dropped ? undefined : appended.offset;
  }

  /**
   * Appends a turn's later lines (answers, tool results) like {@linkcode append}, after the
   * turn's message was appended with a check: while this store wrote the file last, with no
   * `stat` first, so an answer's line is written right after the model's last token. The next
   * turn's message stats the file anyway and finds any change from outside by its size, inode
   * or mtime; a line written meanwhile onto a torn one from outside is read back all the same
   * (`lineStart` in core/jsonl_lines.ts), and the next checked append starts on a fresh line.
   */
  async appendToTurn(
    agentId: string,
    sessionId: string,
    ...entries: SessionMessage[]
  ): Promise<void> {
    if (!entries.length) return;
    await (await this.#append(agentId, sessionId, entries, { unchecked: true, turn: true }))
      .written;
  }

  /**
   * Appends like {@linkcode append}, but answers once the file is checked and the write is
   * under way: with the offset, the session's cached tail as the append leaves it (when the
   * store has one: the stat before the write checked the file against it), and `written`,
   * which settles when the lines are in the file. A turn builds its context from the tail
   * while its message is written, with no second stat, and awaits `written` before it calls
   * the model. The session stays locked until the write is done.
   */
  async appendAndTail(
    agentId: string,
    sessionId: string,
    ...entries: SessionEntry[]
  ): Promise<{ offset: number; tail?: SessionTailSnapshot; written: Promise<void> }> {
    return await this.#append(agentId, sessionId, entries, { turn: true });
  }

  /**
   * `unchecked`: see {@linkcode appendToTurn}; `turn`: a turn's write, dropped when the session
   * was reset or deleted since the turn began; `generation`: dropped unless the session is still
   * at it. A dropped write answers `dropped` (a turn's message throws ABORTED instead).
   */
  async #append(
    agentId: string,
    sessionId: string,
    entries: SessionEntry[],
    options: { unchecked?: boolean; turn?: boolean; generation?: number },
  ): Promise<
    { offset: number; tail?: SessionTailSnapshot; written: Promise<void>; dropped?: boolean }
  > {
    const path = this.file(agentId, sessionId);
    const unchecked = options.unchecked === true;
    // Most entries carry no image: no promise per entry for them.
    const stored = entries.some((entry) => Array.isArray(entry.content))
      ? await Promise.all(entries.map((entry) => storeImages(entry, dirname(path), sessionId)))
      : entries;
    const prestat = unchecked ? undefined : this.#takePrestat(path);
    let checked!: (early: { offset: number; tail?: SessionTailSnapshot }) => void;
    const early = new Promise<{ offset: number; tail?: SessionTailSnapshot }>((resolve) => {
      checked = resolve;
    });
    let dropped = false;
    const done = this.#locked(path, async () => {
      if (
        (options.turn && this.#turnFenced(path)) ||
        (options.generation !== undefined &&
          options.generation !== (this.#generations.get(path) ?? 0))
      ) {
        if (options.turn && !unchecked) throw sessionGone(agentId, sessionId);
        dropped = true;
        return 0;
      }
      const lines = stored.map((entry) => JSON.stringify(entry));
      const text = lines.join("\n") + "\n";
      // Where this store's last append ended: when the file still has that size, nothing else
      // wrote to it and it ends on a newline, so one stat replaces reading its last byte.
      const known = this.#ends.get(path);
      const info = known === undefined || unchecked
        ? undefined
        : await (prestat ?? sessionStat(path));
      if (known !== undefined && (unchecked || info?.size === known)) {
        const size = known;
        const end = size + byteLength(text);
        const added = located(lines, size);
        if (info) this.#tails.valid(path, info); // drops a tail the inode or mtime says was rewritten
        // A turn's later lines (unchecked) are written with no one to read a tail: copying the
        // cached entries for it cost a pass over the whole tail per answer.
        checked({ offset: size, tail: unchecked ? undefined : this.#tails.snapshot(path, added) });
        try {
          // Never created here: a file deleted from outside is made anew below, mode 0600.
          await Deno.writeTextFile(path, text, { append: true, create: false });
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) {
            this.#ends.delete(path);
            this.#tails.invalidate(path);
            return await this.#appendFenced(path, text);
          }
          this.#ends.delete(path);
          this.#tails.invalidate(path);
          throw error;
        }
        this.#remember(path, end);
        this.#tails.appended(path, size, added, end);
        return size;
      }
      this.#tails.invalidate(path);
      return await this.#appendFenced(path, text);
    });
    const written = done.then(() => {
      if (!dropped) this.#changed(agentId, sessionId, "append");
    });
    // Whoever takes the early answer awaits `written`; a failure before it comes is thrown here.
    written.catch(() => {});
    const answer = await Promise.race([early, done.then((offset) => ({ offset }))]);
    return { ...answer, written, ...(dropped ? { dropped } : {}) };
  }

  /**
   * Cuts the session file at byte `offset` (a line start): resend and edit drop the answer they
   * replace this way, at the cost of one truncate however long the session is.
   */
  async truncate(agentId: string, sessionId: string, offset: number): Promise<void> {
    const path = this.file(agentId, sessionId);
    await this.#locked(path, async () => {
      if (this.#turnFenced(path)) throw sessionGone(agentId, sessionId);
      const info = await sessionStat(path);
      if (!info || !(await isLineStart(path, offset))) {
        throw new GatewayError(
          ErrorCode.INTERNAL_ERROR,
          "The session changed while it was being cut",
        );
      }
      this.#ends.delete(path);
      this.#tails.invalidate(path);
      // Cut through the file `lstat` found, never through a link swapped in since.
      const file = await Deno.open(path, { write: true });
      try {
        await sameFile(file, info, path);
        await file.truncate(offset);
      } finally {
        file.close();
      }
    });
    this.#changed(agentId, sessionId, "truncate");
  }

  /**
   * One page of the session at `path`: the `limit` entries before `cursor` (default: the end),
   * oldest first.
   *
   * @throws {GatewayError} INVALID_PARAMS for a cursor that is not a line start of this file
   */
  async page(path: string, limit: number, cursor?: string): Promise<SessionPage> {
    const ref = await this.resolvePath(path);
    let before: number | undefined;
    if (cursor !== undefined) {
      before = /^\d{1,15}$/.test(cursor) ? Number(cursor) : NaN;
      if (!Number.isSafeInteger(before) || !(await isLineStart(ref.path, before))) {
        throw new GatewayError(ErrorCode.INVALID_PARAMS, `Invalid cursor: ${cursor}`);
      }
    }
    const messages: SessionEntry[] = [];
    let oldest = before ?? 0;
    let more = false;
    for await (const { offset, entry } of this.backward(ref.agentId, ref.sessionId, before)) {
      if (messages.length === limit) {
        more = true;
        break;
      }
      messages.push(entry);
      oldest = offset;
    }
    return { messages: messages.reverse(), nextCursor: more ? String(oldest) : null };
  }

  /** Replaces a session's entries through a temp file. */
  async replace(agentId: string, sessionId: string, entries: SessionEntry[]): Promise<void> {
    await this.#replacePath(this.file(agentId, sessionId), entries);
    this.#changed(agentId, sessionId, "replace");
  }

  async #replacePath(path: string, messages: SessionEntry[], fence = false): Promise<void> {
    await this.#locked(path, async () => {
      if (fence) this.#fence(path);
      this.#ends.delete(path);
      this.#tails.invalidate(path);
      const text = messages.map((message) => JSON.stringify(message) + "\n").join("");
      await writeFileAtomic(path, text, { mode: 0o600 });
    });
  }

  /**
   * Gives session `from`'s file to session `to`, when `to` has none: a session whose id changed
   * keeps its history. Done under both files' locks, and atomically: the file is linked under its
   * new name (which fails, leaving both as they were, should `to` have one by then) and only then
   * unlinked from the old. Its images stay where its lines name them (`<from>.files/`).
   *
   * @param options.writtenBefore adopt only a file last written before this time (ms since the
   * epoch): one written since belongs to whoever writes it under its own id
   * @returns whether `from` was adopted (false: `to` exists, or `from` is no plain session file,
   * or one written since `writtenBefore`)
   * @throws {GatewayError} INVALID_PARAMS for an id that is not a safe file name
   */
  async adopt(
    agentId: string,
    from: string,
    to: string,
    options: { writtenBefore?: number } = {},
  ): Promise<boolean> {
    const fromPath = this.file(agentId, from);
    const toPath = this.file(agentId, to);
    const adopted = await this.#locked(toPath, () =>
      this.#locked(fromPath, async () => {
        if ((await Deno.lstat(toPath).catch(() => undefined)) !== undefined) return false;
        const info = await Deno.lstat(fromPath).catch(() => undefined);
        if (!info?.isFile || !(await containedRealPath(this.paths.agentsDir, fromPath))) {
          return false;
        }
        const before = options.writtenBefore;
        if (before !== undefined && (info.mtime?.getTime() ?? Infinity) >= before) return false;
        try {
          await Deno.link(fromPath, toPath);
        } catch (error) {
          if (error instanceof Deno.errors.AlreadyExists) return false;
          throw error;
        }
        await Deno.remove(fromPath);
        for (const path of [fromPath, toPath]) {
          this.#ends.delete(path);
          this.#tails.invalidate(path);
        }
        return true;
      }));
    if (adopted) {
      this.#changed(agentId, from, "delete");
      this.#changed(agentId, to, "replace");
    }
    return adopted;
  }

  /** Every session file of every agent, or of `filter.agentId` only, newest first. */
  async list(filter: { agentId?: string } = {}): Promise<SessionFileInfo[]> {
    return await listSessionFiles(this.paths, filter);
  }

  /** How many sessions `agentId` has, without reading or stating them. */
  count(agentId: string): Promise<number> {
    return countSessionFiles(this.paths, agentId);
  }

  /**
   * Resolves a client-supplied path to a session file: a `path` or a `file` as `sessions.list`
   * gives them (absolute, relative to the state dir, or the bare `<sessionId>.jsonl` when one
   * agent has it). Nothing outside `agents/<id>/sessions/` is ever opened.
   *
   * @throws {GatewayError} INVALID_PARAMS for what is not a session file (or a bare file name
   * that several agents have), NOT_FOUND for a session file that does not exist
   */
  async resolvePath(path: string): Promise<SessionRef> {
    return await resolveSessionPath(this.paths, path);
  }

  /**
   * The agent and session a client-supplied path names, from the path alone (no file looked
   * at, nothing checked: {@linkcode resolvePath} does that); undefined for a bare file name.
   */
  idsOfPath(path: string): { agentId: string; sessionId: string } | undefined {
    return sessionIdsOfPath(this.paths, path);
  }

  /** The last `limit` entries of the session file at `path`. */
  async preview(path: string, limit = 50): Promise<SessionEntry[]> {
    return (await this.page(path, limit)).messages;
  }

  /** Deletes the session file at `path` and its images. */
  async delete(path: string): Promise<SessionRef> {
    const ref = await this.resolvePath(path);
    await this.#locked(ref.path, async () => {
      this.#fence(ref.path);
      this.#ends.delete(ref.path);
      this.#tails.invalidate(ref.path);
      await Deno.remove(ref.path);
      this.#changed(ref.agentId, ref.sessionId, "delete"); // even if its images fail to go
      await removeFiles(ref);
    });
    return ref;
  }

  /** Empties the session file at `path`, keeping the file; its images go. */
  async reset(path: string): Promise<SessionRef> {
    const ref = await this.resolvePath(path);
    await this.#replacePath(ref.path, [], true);
    this.#changed(ref.agentId, ref.sessionId, "reset");
    await removeFiles(ref);
    return ref;
  }

  /**
   * Appends `text` after reading the file's last byte: a crash (or another writer) may have
   * left half a line, and ours starts on a fresh line so both stay readable.
   */
  async #appendFenced(path: string, text: string): Promise<number> {
    // Not the warm path (a first write, or a file changed from outside): the folders are
    // resolved again, so a sessions folder swapped for a link since `check` is refused too.
    if (!(await containedRealPath(this.paths.agentsDir, path))) throw notASession(path);
    const { file, size } = await openForAppend(path);
    try {
      const newline = size === 0 || (await readAt(file, size - 1, 1))[0] === 10;
      const prefix = newline ? "" : "\n";
      const bytes = encoder.encode(prefix + text);
      // Opened for appending: every write lands at the end, whatever the seek above.
      for (let written = 0; written < bytes.length;) {
        written += await file.write(bytes.subarray(written));
      }
      this.#remember(path, size + bytes.length);
      return size + prefix.length;
    } finally {
      file.close();
    }
  }

  #remember(path: string, end: number): void {
    this.#ends.delete(path); // re-added last: the most recently written
    this.#ends.set(path, end);
    if (this.#ends.size > MAX_REMEMBERED_ENDS) this.#ends.delete(this.#ends.keys().next().value!);
  }

  /**
   * Resolves once every write this store has begun on `path` has ended (ok or not): reads wait
   * for them, so a read after `appendAndTail` answered early (its write still under way) sees
   * the appended lines. Only a read with a write pending pays the wait.
   */
  async #settled(path: string): Promise<void> {
    await this.#locks.get(path)?.then(() => {}, () => {});
  }

  async #locked<T>(path: string, work: () => Promise<T>): Promise<T> {
    // A stat taken ahead of an append does not outlive a write, cut or rewrite begun after it.
    this.#prestats.delete(path);
    const previous = this.#locks.get(path) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    this.#locks.set(path, next);
    try {
      return await next;
    } finally {
      if (this.#locks.get(path) === next) this.#locks.delete(path);
    }
  }
}

/**
 * The session file's `lstat`, undefined when there is none; a link or anything else that is not
 * a plain file is refused, never followed.
 */
async function sessionStat(path: string): Promise<Deno.FileInfo | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  if (!info.isFile) throw notASession(path);
  return info;
}

/** What a turn's write meets once its session was reset or deleted under it. */
function sessionGone(agentId: string, sessionId: string): GatewayError {
  return new GatewayError(
    ErrorCode.ABORTED,
    `Session ${agentId}/${sessionId} was reset or deleted during this turn; nothing was written`,
  );
}

/**
 * Opens the session file for appending, never through a link: an existing file must be the
 * one `lstat` found (device and inode of the opened handle), and a missing one is created
 * (mode 0600) with O_EXCL, which follows no link, not even a dangling one. Returns the handle
 * and the file's size.
 */
async function openForAppend(path: string): Promise<{ file: Deno.FsFile; size: number }> {
  const info = await sessionStat(path);
  if (!info) {
    await Deno.mkdir(dirname(path), { recursive: true });
    try {
      const file = await Deno.open(path, {
        read: true,
        append: true,
        createNew: true,
        mode: 0o600,
      });
      return { file, size: 0 };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      return await openForAppend(path); // made meanwhile: look at it again
    }
  }
  const file = await Deno.open(path, { read: true, append: true });
  try {
    return { file, size: (await sameFile(file, info, path)).size };
  } catch (error) {
    file.close();
    throw error;
  }
}

/** The opened file's stat, when it is the file `info` (an `lstat`) describes; refused if not. */
async function sameFile(
  file: Deno.FsFile,
  info: Deno.FileInfo,
  path: string,
): Promise<Deno.FileInfo> {
  const opened = await file.stat();
  if (opened.ino !== info.ino || opened.dev !== info.dev) throw notASession(path);
  return opened;
}

function notASession(path: string): GatewayError {
  return new GatewayError(
    ErrorCode.INVALID_PARAMS,
    `Not a session: ${path} (a link or something else than a plain file inside the state dir)`,
  );
}

function isEntry(value: unknown): value is SessionEntry {
  return typeof value === "object" && value !== null &&
    typeof (value as { role?: unknown }).role === "string";
}

/** The bytes every compaction line starts with (the store writes `role` first). */
export const COMPACTION_LINE_PREFIX = new TextEncoder().encode('{"role":"compaction"');

/** Every line the store writes starts with its role; a line glued onto a torn one is found by it. */
const LINES = { lineStart: new TextEncoder().encode('{"role":"') };

/** The entry a line's bytes hold, as the store reads its lines; undefined for none. */
export function entryOfLine(bytes: Uint8Array): SessionEntry | undefined {
  const value = parseLine(bytes, LINES.lineStart);
  return isEntry(value) ? value : undefined;
}

/** True for a compaction line. */
export function isCompaction(entry: SessionEntry): entry is CompactionEntry {
  return entry.role === "compaction";
}

async function removeFiles(ref: SessionRef): Promise<void> {
  await Deno.remove(join(dirname(ref.path), `${ref.sessionId}.files`), { recursive: true })
    .catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
}

async function* entriesBackward(path: string, before?: number): AsyncGenerator<LocatedEntry> {
  for await (const line of linesBackward(path, before, LINES)) {
    if (isEntry(line.value)) yield { offset: line.offset, end: line.end, entry: line.value };
  }
}

/** Appended lines as a read would find them, the first starting at `start`. */
function located(lines: string[], start: number): LocatedEntry[] {
  return lines.map((line) => {
    const offset = start;
    start += byteLength(line) + 1;
    return { offset, end: start, entry: JSON.parse(line) };
  });
}

const encoder = new TextEncoder();
const byteLength = (text: string) => encoder.encode(text).length;
