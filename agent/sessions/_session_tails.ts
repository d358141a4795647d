/**
 * @module The parsed ends of active session files, kept in memory so a turn builds its context
 * without reading the file back (issue 17). A tail is the entries of a suffix `[from, end)` of a
 * file, newest last. The store extends it with its own appends; it is trusted only while one
 * `stat` shows the file as the store left it (same size, inode and, once known, mtime), and any
 * cut, rewrite or delete drops it. Bounded: least recently used tails go first, by total bytes
 * and count, and a tail unused for a while is dropped on the next access.
 */

/** A parsed line and where it is (the store's `LocatedEntry`, named here to avoid a cycle). */
export interface LocatedEntry {
  offset: number;
  end: number;
  entry: object;
}

/** A cached suffix of a session file. */
export interface SessionTail<T extends LocatedEntry = LocatedEntry> {
  /** Where the oldest cached line starts; 0 when the whole file is here. */
  from: number;
  /** The file's size when the tail was last known to match it. */
  end: number;
  /** Oldest first; frozen, since every reader shares them. */
  entries: T[];
  /** The file's inode and mtime as last seen; `null` when unknown (after an own append). */
  ino: number | null;
  mtime: number | null;
  /** When a turn last used it (ms). */
  used: number;
}

/** A tail as one moment saw it: entries of the lines from byte `from` to the end, oldest first. */
export interface CachedTail<T extends LocatedEntry = LocatedEntry> {
  from: number;
  entries: readonly T[];
}

/** The bytes a single session's tail may cover; older entries past it are read from disk. */
const MAX_TAIL_BYTES = 8 * 1024 * 1024;
/** The bytes all tails together may cover, and how many sessions are kept at most. */
const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
const MAX_TAILS = 256;
/** A tail unused this long is dropped: its session has gone quiet. */
const IDLE_MS = 15 * 60_000;

/** The tails of one session store, least recently used first. */
export class SessionTails<T extends LocatedEntry> {
  #tails = new Map<string, SessionTail<T>>();
  #bytes = 0;
  /**
   * Bumped by every cut, rewrite and delete: a read that began before one may have read bytes
   * that are gone, so its result is not kept.
   */
  epoch = 0;

  /** The tail of `path` when `info` (a fresh stat) shows the file as the tail knows it. */
  valid(path: string, info: Deno.FileInfo): SessionTail<T> | undefined {
    this.#sweep();
    const tail = this.#tails.get(path);
    if (!tail) return undefined;
    const mtime = info.mtime?.getTime() ?? null;
    if (
      info.size !== tail.end || (tail.ino !== null && info.ino !== tail.ino) ||
      (tail.mtime !== null && mtime !== tail.mtime)
    ) {
      this.drop(path);
      return undefined;
    }
    tail.mtime = mtime;
    tail.ino = info.ino;
    this.#touch(path, tail);
    return tail;
  }

  /** Keeps what a read from the end found (`entries` newest first) when nothing cut the file meanwhile. */
  store(path: string, info: Deno.FileInfo, entries: T[], epoch: number): void {
    if (epoch !== this.epoch || !entries.length || entries[0].end !== info.size) return;
    this.drop(path);
    const tail: SessionTail<T> = {
      from: entries.at(-1)!.offset,
      end: info.size,
      entries: entries.map(freeze).reverse(),
      ino: info.ino,
      mtime: info.mtime?.getTime() ?? null,
      used: Date.now(),
    };
    this.#tails.set(path, tail);
    this.#bytes += tail.end - tail.from;
    this.#fit(tail);
  }

  /** Adds older entries (newest first) read from disk below `tail.from`. */
  prepend(path: string, tail: SessionTail<T>, older: T[], epoch: number): void {
    if (epoch !== this.epoch || this.#tails.get(path) !== tail || !older.length) return;
    const from = older.at(-1)!.offset;
    tail.entries = [...older.map(freeze).reverse(), ...tail.entries];
    this.#bytes += tail.from - from;
    tail.from = from;
    this.#fit(tail);
  }

  /** Extends the tail of `path` with an own append that started at its end. */
  appended(path: string, start: number, entries: T[], end: number): void {
    const tail = this.#tails.get(path);
    if (!tail) return;
    if (tail.end !== start) return this.drop(path);
    tail.entries.push(...entries.map(freeze));
    this.#bytes += end - tail.end;
    tail.end = end;
    tail.mtime = null; // the write changed it; the next stat tells the new one
    this.#fit(tail);
  }

  /**
   * The tail of `path` as it is now with `added` after it (an append under way), whatever it
   * holds later, when there is one.
   */
  snapshot(path: string, added: readonly T[] = []): CachedTail<T> | undefined {
    const tail = this.#tails.get(path);
    return tail && { from: tail.from, entries: [...tail.entries, ...added.map(freeze)] };
  }

  /** Forgets the tail of `path` (and stops reads in flight from keeping theirs). */
  drop(path: string): void {
    const tail = this.#tails.get(path);
    if (tail) this.#bytes -= tail.end - tail.from;
    this.#tails.delete(path);
  }

  /** Forgets `path` after a cut, rewrite or delete. */
  invalidate(path: string): void {
    this.epoch++;
    this.drop(path);
  }

  #touch(path: string, tail: SessionTail<T>): void {
    tail.used = Date.now();
    this.#tails.delete(path); // re-added last: the most recently used
    this.#tails.set(path, tail);
  }

  /** Trims `tail` to its own bound, then drops least recently used tails past the totals. */
  #fit(tail: SessionTail<T>): void {
    let cut = 0;
    while (tail.end - tail.from > MAX_TAIL_BYTES && cut < tail.entries.length - 1) {
      cut++;
      const from = tail.entries[cut].offset;
      this.#bytes -= from - tail.from;
      tail.from = from;
    }
    if (cut) tail.entries = tail.entries.slice(cut);
    for (const [path, oldest] of this.#tails) {
      if (this.#bytes <= MAX_TOTAL_BYTES && this.#tails.size <= MAX_TAILS) break;
      if (oldest !== tail) this.drop(path);
    }
  }

  #sweep(): void {
    const idleSince = Date.now() - IDLE_MS;
    for (const [path, tail] of this.#tails) {
      if (tail.used >= idleSince) break; // the rest were used later
      this.drop(path);
    }
  }
}

function freeze<T extends LocatedEntry>(located: T): T {
  deepFreeze(located.entry);
  return Object.freeze(located);
}

/**
 * Freezes `value` and everything it holds: an entry's content parts are shared by every later
 * turn, so an edit in place (say, replacing an image's data) must throw, not quietly change the
 * history those turns send.
 */
function deepFreeze(value: unknown): void {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}
