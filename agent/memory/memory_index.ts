/**
 * @module One agent's memory index: keeps the SQLite index in step with the workspace's memory
 * files and the agent's sessions (a changed file is reindexed alone; a grown session only from
 * where it was last read), embeds new chunks when an embedding model is set, and searches.
 */

import { readRange } from "../../core/fs.ts";
import type { Logger } from "../../core/logger.ts";
import type {
  MemoryGetRequest,
  MemoryGetResult,
  MemorySearchOptions,
  MemorySearchResult,
} from "../../tools/memory/memory_types.ts";
import { type Chunk, chunkLines, chunkSize } from "./_chunking.ts";
import { readMemoryLines } from "./_memory_get.ts";
import { rankHits, type SearchSettings } from "./_ranking.ts";
import { MemoryListing } from "./_memory_listing.ts";
import {
  findSessionFiles,
  type FoundFile,
  markdownLines,
  sessionLines,
  statSessionFiles,
  tailOf,
} from "./_sources.ts";
import type { Embedder } from "./embeddings.ts";
import { type IndexedFile, MemoryDb, type MemorySource } from "./memory_db.ts";
import { VectorSet } from "./_vectors.ts";

/** What one agent's index is built from; the getters are read on every sync. */
export interface MemoryIndexOptions {
  agentId: string;
  dbPath: string;
  workspaceDir(): string;
  sessionsDir: string;
  /**
   * Whether watchers on the workspace and its `memory/` folder now report every change there
   * (then a sync reuses the last listing of the memory files until they report one).
   */
  memoryWatched(): boolean;
  settings(): SearchSettings;
  embedder(): Embedder | undefined;
  logger: Logger;
}

/** What the last sync did. */
export interface SyncReport {
  at: string;
  durationMs: number;
  reindexed: string[];
  removed: string[];
}

/** Bytes of a session read (and indexed) at a time. */
const READ_WINDOW = 256 * 1024;
/** Chunks embedded inside a search rather than in the background. */
const INLINE_EMBED_LIMIT = 64;

export class MemoryIndex {
  readonly agentId: string;
  readonly dbPath: string;
  #options: MemoryIndexOptions;
  #db: MemoryDb;
  #vectors: VectorSet | undefined;
  #dirtySessions = new Set<string>();
  /**
   * The next sync scans every session and lists the memory files afresh. The first does: it
   * must find what changed while the gateway was down.
   */
  #fullScan = true;
  /** When a sync last made the full scan (`performance.now()`), whatever the sources were. */
  #scannedAt = -Infinity;
  /** The sources the last sync read. */
  #sources: ReadonlySet<MemorySource> = new Set();
  #memoryFiles = new MemoryListing();
  #queue: Promise<unknown> = Promise.resolve();
  #lastSync: SyncReport | undefined;
  #embedError: string | undefined;

  constructor(options: MemoryIndexOptions) {
    this.#options = options;
    this.agentId = options.agentId;
    this.dbPath = options.dbPath;
    this.#db = new MemoryDb(options.dbPath);
  }

  /** A session changed: the next sync reads what it gained. */
  markSessionDirty(sessionId: string): void {
    this.#dirtySessions.add(sessionId);
  }

  /** A memory file may have changed: the next sync lists the memory files again. */
  markMemoryChanged(): void {
    this.#memoryFiles.markChanged();
  }

  /** Something changed that only a scan of every session and memory file finds. */
  markAllDirty(): void {
    this.#fullScan = true;
    this.#memoryFiles.markChanged();
  }

  /** How long ago (ms) a sync last made the full scan. */
  sinceFullScan(): number {
    return performance.now() - this.#scannedAt;
  }

  /** Brings the index up to date with the disk. Syncs run one at a time. */
  sync(options: { full?: boolean } = {}): Promise<SyncReport> {
    const run = this.#queue.then(() => this.#sync(options.full === true));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #sync(full: boolean): Promise<SyncReport> {
    const started = performance.now();
    if (full) {
      this.#db.clear();
      this.#vectors = undefined;
      this.markAllDirty();
    }
    // What this sync uses up, given back when it fails before its end: a full scan still due,
    // sessions marked or included again, found by the next sync rather than in an hour.
    const pending = {
      fullScan: this.#fullScan,
      sources: this.#sources,
      dirty: [...this.#dirtySessions],
    };
    try {
      return await this.#syncOnce(started);
    } catch (error) {
      this.#fullScan ||= pending.fullScan;
      this.#sources = pending.sources;
      for (const sessionId of pending.dirty) this.#dirtySessions.add(sessionId);
      throw error;
    }
  }

  /** One sync's work, from reading the settings to the report; `started` times it. */
  async #syncOnce(started: number): Promise<SyncReport> {
    const settings = this.#options.settings();
    const sources = new Set<MemorySource>(settings.sources);
    // Sessions left out of the last sync were not followed meanwhile (their marks were dropped,
    // their rows removed): included again (a config reload), they are scanned whole. The memory
    // files need no such step: their listing is not looked at while they are left out, and what
    // watchers report meanwhile waits for the next look.
    const scanSessions = this.#fullScan ||
      (sources.has("sessions") && !this.#sources.has("sessions"));
    this.#sources = sources;
    // Used up and timed whatever the sources: a full scan still pending (sessions left out)
    // would have every background sync ask for another, and list the memory files each time.
    if (this.#fullScan) {
      this.#fullScan = false;
      this.#scannedAt = performance.now();
    }
    const found: FoundFile[] = [];
    const scanned = new Set<MemorySource>();
    if (sources.has("memory")) {
      const workspaceDir = this.#options.workspaceDir();
      found.push(...await this.#memoryFiles.files(workspaceDir, this.#options.memoryWatched()));
      scanned.add("memory");
    }
    const dirty = new Set(this.#dirtySessions);
    this.#dirtySessions.clear();
    if (sources.has("sessions")) {
      if (scanSessions) {
        found.push(...await findSessionFiles(this.#options.sessionsDir));
        scanned.add("sessions");
      } else {
        found.push(...await statSessionFiles(this.#options.sessionsDir, dirty));
      }
    }
    const report: SyncReport = { at: "", durationMs: 0, reindexed: [], removed: [] };
    // Only the records that can have changed are read: a whole source when it was scanned (or
    // left out of `sources`), else the dirty sessions alone.
    const known = new Map<string, IndexedFile>();
    for (const source of ["memory", "sessions"] as const) {
      if (scanned.has(source) || !sources.has(source)) {
        for (const file of this.#db.files(source)) known.set(file.path, file);
      }
    }
    for (const sessionId of scanned.has("sessions") ? [] : dirty) {
      const file = this.#db.file(`sessions/${sessionId}.jsonl`);
      if (file) known.set(file.path, file);
    }
    const present = new Set(found.map((file) => file.path));
    for (const file of known.values()) {
      if (!present.has(file.path)) {
        this.#forget(this.#db.removeFile(file.path));
        report.removed.push(file.path);
      }
    }
    for (const file of found) {
      const before = known.get(file.path);
      if (before && before.size === file.size && before.mtimeMs === file.mtimeMs) continue;
      try {
        await this.#indexFile(file, before, settings);
        report.reindexed.push(file.path);
      } catch (error) {
        this.#options.logger.warn("memory file not indexed", {
          path: file.path,
          error: (error as Error).message,
        });
      }
    }
    report.at = new Date().toISOString();
    report.durationMs = Math.round((performance.now() - started) * 100) / 100;
    if (report.reindexed.length || report.removed.length || !this.#lastSync) {
      this.#lastSync = report;
    }
    return report;
  }

  async #indexFile(file: FoundFile, before: IndexedFile | undefined, settings: SearchSettings) {
    const size = chunkSize(settings.chunking.tokens, settings.chunking.overlap);
    const record = (offset: number, lines: number, tail: string): IndexedFile => ({
      path: file.path,
      source: file.source,
      size: file.size,
      mtimeMs: file.mtimeMs,
      offset,
      lines,
      tail,
      indexedAt: Date.now(),
    });
    if (file.source === "memory") {
      const text = new TextDecoder().decode(await readRange(file.file, 0, file.size));
      const { removed } = this.#db.writeFile(
        record(file.size, 0, ""),
        chunkLines(markdownLines(text), size),
        false,
      );
      this.#vectors?.delete(removed);
      return;
    }
    let offset = 0;
    let lines = 0;
    // A session that only grew is read from where the last sync stopped; otherwise afresh.
    if (
      before && file.size >= before.offset && await tailOf(file.file, before.offset) === before.tail
    ) {
      offset = before.offset;
      lines = before.lines;
    } else if (before) {
      this.#forget(this.#db.removeFile(file.path));
    }
    let written = false;
    // Read in windows, each written as it is read, so a long session never holds the thread
    // (or the memory) for long, and an interrupted pass resumes where it stopped.
    while (offset < file.size) {
      let bytes = await readRange(file.file, offset, Math.min(file.size, offset + READ_WINDOW));
      let end = bytes.lastIndexOf(10) + 1;
      if (end === 0 && offset + bytes.length < file.size) {
        bytes = await readRange(file.file, offset, file.size); // one line longer than a window
        end = bytes.lastIndexOf(10) + 1;
      }
      // The last line may still be being written; it is read once it ends.
      if (end === 0) break;
      const text = new TextDecoder().decode(bytes.subarray(0, end));
      const chunks: Chunk[] = chunkLines(sessionLines(text, lines + 1), size);
      offset += end;
      lines += text.split("\n").length - 1;
      this.#db.writeFile(record(offset, lines, await tailOf(file.file, offset)), chunks, true);
      written = true;
      if (offset < file.size) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    // Nothing whole to read yet: remember the file as it is, so it is not read again unchanged.
    if (!written) {
      this.#db.writeFile(record(offset, lines, await tailOf(file.file, offset)), [], true);
    }
  }

  /** Drops removed chunks' vectors (the removal itself must run whether or not any are held). */
  #forget(ids: number[]): void {
    this.#vectors?.delete(ids);
  }

  /** Searches, after reading what changed since the last sync. */
  async search(query: string, options: MemorySearchOptions = {}): Promise<MemorySearchResult> {
    await this.sync();
    const settings = this.#options.settings();
    const embedder = settings.query.hybrid.enabled ? this.#options.embedder() : undefined;
    let queryVector: Float32Array | undefined;
    let warning: string | undefined;
    if (embedder) {
      try {
        this.#checkEmbeddingModel(embedder);
        await this.#embedPending(embedder, INLINE_EMBED_LIMIT, options.signal);
        [queryVector] = await embedder.embed([query], options.signal);
      } catch (error) {
        options.signal?.throwIfAborted();
        warning = `Embedding failed, full-text results only: ${(error as Error).message}`;
      }
    }
    const hits = rankHits(this.#db, this.#vectorSet(queryVector), query, queryVector, {
      settings,
      limit: options.maxResults ?? settings.query.maxResults,
      excludePaths: options.excludeSessions?.map((id) => `sessions/${id}.jsonl`),
    });
    if (embedder && !warning) this.embedInBackground();
    return {
      results: hits,
      mode: queryVector ? "hybrid" : "text",
      ...(queryVector && embedder
        ? { embedding: { provider: embedder.provider, model: embedder.model } }
        : {}),
      ...(warning ? { warning } : {}),
    };
  }

  #vectorSet(queryVector: Float32Array | undefined): VectorSet | undefined {
    if (!queryVector) return undefined;
    if (!this.#vectors) {
      this.#vectors = new VectorSet();
      for (const [id, vector] of this.#db.embeddings()) this.#vectors.set(id, vector);
    }
    return this.#vectors;
  }

  /** Forgets embeddings made by another model than the one configured now. */
  #checkEmbeddingModel(embedder: Embedder): void {
    const key = `${embedder.provider}/${embedder.model}`;
    if (this.#db.getMeta("embedding") === key) return;
    this.#db.clearEmbeddings();
    this.#db.setMeta("embedding", key);
    this.#vectors = undefined;
  }

  async #embedPending(embedder: Embedder, max: number, signal?: AbortSignal): Promise<number> {
    let done = 0;
    while (done < max) {
      const batch = this.#db.unembedded(Math.min(64, max - done));
      if (!batch.length) break;
      const vectors = await embedder.embed(batch.map((chunk) => chunk.text), signal);
      const byId = new Map(batch.map((chunk, i) => [chunk.id, vectors[i]]));
      this.#db.setEmbeddings(byId);
      for (const [id, vector] of byId) this.#vectors?.set(id, vector);
      done += batch.length;
    }
    return done;
  }

  /** Embeds every chunk still without a vector, after the syncs queued now. */
  embedInBackground(): Promise<void> {
    const embedder = this.#options.settings().query.hybrid.enabled
      ? this.#options.embedder()
      : undefined;
    if (!embedder) return Promise.resolve();
    const run = this.#queue.then(async () => {
      try {
        this.#checkEmbeddingModel(embedder);
        await this.#embedPending(embedder, Number.MAX_SAFE_INTEGER);
        this.#embedError = undefined;
      } catch (error) {
        this.#embedError = (error as Error).message;
        this.#options.logger.warn("memory embedding failed", { error: this.#embedError });
      }
    });
    this.#queue = run;
    return run;
  }

  get(request: MemoryGetRequest): Promise<MemoryGetResult> {
    return readMemoryLines(request, {
      workspaceDir: this.#options.workspaceDir(),
      sessionsDir: this.#options.sessionsDir,
      sources: this.#options.settings().sources,
    });
  }

  /** Counts and the last sync, for `memory.status` and doctor. */
  status() {
    const counts = this.#db.counts();
    return {
      agentId: this.agentId,
      dbPath: this.dbPath,
      workspaceDir: this.#options.workspaceDir(),
      ...counts,
      lastSync: this.#lastSync ?? null,
      embeddingError: this.#embedError ?? null,
    };
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => {});
    this.#db.close();
  }
}
