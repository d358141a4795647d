/**
 * @module One agent's memory index on disk (`<state>/memory/<agentId>.sqlite`, node:sqlite):
 * the files indexed and how far, their chunks, an FTS5 trigram index over the chunks, and each
 * chunk's embedding when an embedding model is configured.
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { Chunk } from "./_chunking.ts";
import { buildFtsQuery, cjkColumn } from "./_fts_query.ts";
import { rankCandidates, type TextHit } from "./_candidates.ts";

export type { TextHit } from "./_candidates.ts";

/** Matches fetched before ranking; past this many, a query is ranked over the newest only. */
export const CANDIDATE_CAP = 400;

/** Where a chunk came from. */
export type MemorySource = "memory" | "sessions";

/** What the index remembers about a file, to find what changed since. */
export interface IndexedFile {
  path: string;
  source: MemorySource;
  size: number;
  mtimeMs: number;
  /** Bytes read so far (session files are indexed as they grow). */
  offset: number;
  /** Lines read so far. */
  lines: number;
  /** The last bytes read, to notice a file rewritten rather than appended to. */
  tail: string;
  indexedAt: number;
}

/** A chunk as search sees it. */
export interface ChunkRow {
  id: number;
  path: string;
  source: MemorySource;
  startLine: number;
  endLine: number;
  time: string | null;
  text: string;
}

/** {@linkcode MemoryDb.summary}. */
export interface IndexSummary {
  files: number;
  chunks: number;
  embedded: number;
  lastIndexedAt: string | null;
  /** `provider/model` of the stored vectors. */
  embedding: string | null;
  indexed: { path: string; size: number; mtimeMs: number }[];
}

const SCHEMA = `
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
  path TEXT PRIMARY KEY, source TEXT NOT NULL, size INTEGER NOT NULL, mtime_ms REAL NOT NULL,
  offset INTEGER NOT NULL, lines INTEGER NOT NULL, tail TEXT NOT NULL, indexed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
  id INTEGER PRIMARY KEY, path TEXT NOT NULL, source TEXT NOT NULL, start_line INTEGER NOT NULL,
  end_line INTEGER NOT NULL, time TEXT, text TEXT NOT NULL, embedding BLOB
);
CREATE INDEX IF NOT EXISTS chunks_by_path ON chunks (path);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5 (
  text, cjk, tokenize = 'trigram', content = '', contentless_delete = 1
);
`;

/** A chunks_fts condition: the row is no chunk of the files in the JSON array bound to it. */
const NOT_EXCLUDED =
  "rowid NOT IN (SELECT id FROM chunks WHERE path IN (SELECT value FROM json_each(?)))";

/**
 * Makes the index (and its WAL and shared-memory files, if any) readable by the owner alone:
 * it holds the text of every memory file and session. SQLite makes the WAL and shared-memory
 * files with the database file's mode, so tightening it at open covers those made later.
 */
function ownerOnly(path: string): void {
  if (Deno.build.os === "windows") return;
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      Deno.chmodSync(file, 0o600);
    } catch {
      // not there (yet): created later with the database file's mode
    }
  }
}

/** The SQLite file of one agent's index. Synchronous: every call is short. */
export class MemoryDb {
  #db: DatabaseSync;
  #statements = new Map<string, StatementSync>();

  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    ownerOnly(path);
    this.#db.exec(SCHEMA);
  }

  #sql(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * What an index file holds, read without changing it (for doctor, which may run beside a
   * gateway that owns the file).
   *
   * @returns undefined when there is no index file yet
   */
  static summary(path: string): IndexSummary | undefined {
    try {
      Deno.statSync(path);
    } catch {
      return undefined;
    }
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      const row = db.prepare(
        `SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM chunks) AS chunks,
          (SELECT count(*) FROM chunks WHERE embedding IS NOT NULL) AS embedded,
          (SELECT max(indexed_at) FROM files) AS last,
          (SELECT value FROM meta WHERE key = 'embedding') AS embedding`,
      ).get()!;
      const files = db.prepare("SELECT path, size, mtime_ms FROM files").all().map((file) => ({
        path: String(file.path),
        size: Number(file.size),
        mtimeMs: Number(file.mtime_ms),
      }));
      return {
        files: Number(row.files),
        chunks: Number(row.chunks),
        embedded: Number(row.embedded),
        lastIndexedAt: row.last === null ? null : new Date(Number(row.last)).toISOString(),
        embedding: row.embedding === null ? null : String(row.embedding),
        indexed: files,
      };
    } finally {
      db.close();
    }
  }

  getMeta(key: string): string | undefined {
    const row = this.#sql("SELECT value FROM meta WHERE key = ?").get(key);
    return row ? String(row.value) : undefined;
  }

  setMeta(key: string, value: string): void {
    this.#sql("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }

  /** The files of one source the index holds. */
  files(source: MemorySource): IndexedFile[] {
    return this.#sql("SELECT * FROM files WHERE source = ?").all(source).map(toIndexedFile);
  }

  /** One file's record, if the index holds it. */
  file(path: string): IndexedFile | undefined {
    const row = this.#sql("SELECT * FROM files WHERE path = ?").get(path);
    return row ? toIndexedFile(row) : undefined;
  }

  /**
   * Records a file's chunks in one transaction: `append` adds to what the file has, otherwise
   * its old chunks are replaced.
   *
   * @returns the ids of the chunks added and of those removed
   */
  writeFile(
    file: IndexedFile,
    chunks: readonly Chunk[],
    append: boolean,
  ): { added: number[]; removed: number[] } {
    const ids: number[] = [];
    let removed: number[] = [];
    this.#transaction(() => {
      if (!append) removed = this.#deleteChunks(file.path);
      const insert = this.#sql(
        "INSERT INTO chunks (path, source, start_line, end_line, time, text) VALUES (?, ?, ?, ?, ?, ?)",
      );
      const index = this.#sql("INSERT INTO chunks_fts (rowid, text, cjk) VALUES (?, ?, ?)");
      for (const chunk of chunks) {
        const { lastInsertRowid } = insert.run(
          file.path,
          file.source,
          chunk.startLine,
          chunk.endLine,
          chunk.time ?? null,
          chunk.text,
        );
        index.run(lastInsertRowid, chunk.text, cjkColumn(chunk.text));
        ids.push(Number(lastInsertRowid));
      }
      this.#sql(
        `INSERT OR REPLACE INTO files (path, source, size, mtime_ms, offset, lines, tail, indexed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        file.path,
        file.source,
        file.size,
        file.mtimeMs,
        file.offset,
        file.lines,
        file.tail,
        file.indexedAt,
      );
    });
    return { added: ids, removed };
  }

  /** Forgets a file and its chunks. @returns the ids of the chunks removed */
  removeFile(path: string): number[] {
    let ids: number[] = [];
    this.#transaction(() => {
      ids = this.#deleteChunks(path);
      this.#sql("DELETE FROM files WHERE path = ?").run(path);
    });
    return ids;
  }

  #deleteChunks(path: string): number[] {
    const ids = this.#sql("SELECT id FROM chunks WHERE path = ?").all(path).map((row) =>
      Number(row.id)
    );
    const unindex = this.#sql("DELETE FROM chunks_fts WHERE rowid = ?");
    for (const id of ids) unindex.run(id);
    this.#sql("DELETE FROM chunks WHERE path = ?").run(path);
    return ids;
  }

  /**
   * The best `limit` full-text hits for a query, best first.
   *
   * FTS5's bm25 ordering scores every matching chunk, which for a word found in most of 100,000
   * chunks costs hundreds of milliseconds. So the newest {@linkcode CANDIDATE_CAP} matches are
   * fetched first (FTS5 walks rowids in order and stops); when that is all of them, bm25 ranks
   * them exactly, otherwise those newest matches are ranked by `rankCandidates` (a BM25 over
   * them alone): a very common query searches recent memory.
   */
  searchText(query: string, limit: number, excludePaths: readonly string[] = []): TextHit[] {
    const fts = buildFtsQuery(query);
    if (!fts.match) return [];
    const excluded = JSON.stringify(excludePaths);
    const newest = this.#sql(
      `SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ? AND ${NOT_EXCLUDED} ` +
        "ORDER BY rowid DESC LIMIT ?",
    ).all(fts.match, excluded, CANDIDATE_CAP).map((row) => Number(row.rowid));
    if (newest.length < CANDIDATE_CAP) {
      return this.#sql(
        "SELECT rowid, bm25(chunks_fts) AS rank FROM chunks_fts WHERE chunks_fts MATCH ? " +
          `AND ${NOT_EXCLUDED} ORDER BY rank LIMIT ?`,
      ).all(fts.match, excluded, limit).map((row) => ({
        id: Number(row.rowid),
        relevance: -Number(row.rank),
      }));
    }
    const texts = this.#sql(
      "SELECT id, text FROM chunks WHERE id IN (SELECT value FROM json_each(?))",
    ).all(JSON.stringify(newest)).map((row) => ({ id: Number(row.id), text: String(row.text) }));
    return rankCandidates(texts, fts.needles).slice(0, limit);
  }

  /** The ids of the chunks of the files at `paths`. */
  chunkIdsOf(paths: readonly string[]): Set<number> {
    if (!paths.length) return new Set();
    return new Set(
      this.#sql("SELECT id FROM chunks WHERE path IN (SELECT value FROM json_each(?))")
        .all(JSON.stringify(paths)).map((row) => Number(row.id)),
    );
  }

  chunks(ids: readonly number[]): Map<number, ChunkRow> {
    const rows = new Map<number, ChunkRow>();
    const select = this.#sql(
      "SELECT id, path, source, start_line, end_line, time, text FROM chunks WHERE id = ?",
    );
    for (const id of ids) {
      const row = select.get(id);
      if (!row) continue;
      rows.set(id, {
        id,
        path: String(row.path),
        source: row.source as MemorySource,
        startLine: Number(row.start_line),
        endLine: Number(row.end_line),
        time: row.time === null ? null : String(row.time),
        text: String(row.text),
      });
    }
    return rows;
  }

  /** Chunks still waiting for an embedding. */
  unembedded(limit: number): { id: number; text: string }[] {
    return this.#sql("SELECT id, text FROM chunks WHERE embedding IS NULL LIMIT ?").all(limit)
      .map((row) => ({ id: Number(row.id), text: String(row.text) }));
  }

  setEmbeddings(vectors: ReadonlyMap<number, Float32Array>): void {
    this.#transaction(() => {
      const update = this.#sql("UPDATE chunks SET embedding = ? WHERE id = ?");
      for (const [id, vector] of vectors) {
        update.run(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength), id);
      }
    });
  }

  /** Every stored embedding (for the in-memory vector search). */
  *embeddings(): Generator<[number, Float32Array]> {
    for (
      const row of this.#sql("SELECT id, embedding FROM chunks WHERE embedding IS NOT NULL")
        .iterate()
    ) {
      const bytes = row.embedding as Uint8Array;
      const copy = bytes.slice();
      yield [Number(row.id), new Float32Array(copy.buffer, 0, copy.byteLength / 4)];
    }
  }

  /** Drops every embedding (the embedding model changed). */
  clearEmbeddings(): void {
    this.#sql("UPDATE chunks SET embedding = NULL WHERE embedding IS NOT NULL").run();
  }

  counts(): { files: number; chunks: number; embedded: number } {
    const row = this.#sql(
      `SELECT (SELECT count(*) FROM files) AS files, (SELECT count(*) FROM chunks) AS chunks,
        (SELECT count(*) FROM chunks WHERE embedding IS NOT NULL) AS embedded`,
    ).get()!;
    return { files: Number(row.files), chunks: Number(row.chunks), embedded: Number(row.embedded) };
  }

  /** Empties the index (a full reindex). */
  clear(): void {
    this.#transaction(() => {
      this.#db.exec("DELETE FROM chunks; DELETE FROM files;");
      this.#sql("INSERT INTO chunks_fts (chunks_fts) VALUES ('delete-all')").run();
    });
  }

  #transaction(work: () => void): void {
    this.#db.exec("BEGIN");
    try {
      work();
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  close(): void {
    this.#db.close();
  }
}

function toIndexedFile(row: Record<string, unknown>): IndexedFile {
  return {
    path: String(row.path),
    source: row.source as MemorySource,
    size: Number(row.size),
    mtimeMs: Number(row.mtime_ms),
    offset: Number(row.offset),
    lines: Number(row.lines),
    tail: String(row.tail),
    indexedAt: Number(row.indexed_at),
  };
}
