/**
 * @module Ranking memory hits: bm25 from the FTS5 index (scaled so the best text hit is 1),
 * cosine similarity when an embedding model is set, and their weighted sum in hybrid mode
 * (`query.hybrid.vectorWeight` / `textWeight`, as in OpenClaw).
 */

import type { Config } from "../../core/config/schema.ts";
import type { MemoryHit } from "../../tools/memory/memory_types.ts";
import { buildFtsQuery } from "./_fts_query.ts";
import type { ChunkRow, MemoryDb } from "./memory_db.ts";
import type { VectorSet } from "./_vectors.ts";

/** `agents.defaults.memorySearch`. */
export type SearchSettings = Config["agents"]["defaults"]["memorySearch"];

/** The most hits one search returns, whatever is asked. */
export const MAX_RESULTS = 50;
const SNIPPET_CHARS = 700;

/** The best hits for a query, best first. */
export function rankHits(
  db: MemoryDb,
  vectors: VectorSet | undefined,
  query: string,
  queryVector: Float32Array | undefined,
  options: {
    settings: SearchSettings;
    limit: number;
    /** Files whose chunks are never hits (`sessions/<id>.jsonl`). */
    excludePaths?: readonly string[];
  },
): MemoryHit[] {
  const { settings, excludePaths = [] } = options;
  const limit = Math.max(1, Math.min(MAX_RESULTS, options.limit));
  const candidates = limit * settings.query.hybrid.candidateMultiplier;
  const text = db.searchText(query, candidates, excludePaths);
  const best = Math.max(0, ...text.map((hit) => hit.relevance));
  const textScore = new Map(text.map((hit) => [hit.id, best > 0 ? hit.relevance / best : 1]));
  const ids = new Set(textScore.keys());
  const hybrid = vectors !== undefined && queryVector !== undefined;
  if (hybrid) {
    const exclude = db.chunkIdsOf(excludePaths);
    for (const { id } of vectors.nearest(queryVector, candidates, { exclude })) ids.add(id);
  }
  let { vectorWeight, textWeight } = settings.query.hybrid;
  if (vectorWeight + textWeight <= 0) vectorWeight = textWeight = 0.5;
  const total = vectorWeight + textWeight;
  const scored = [...ids].map((id) => {
    const fromText = textScore.get(id) ?? 0;
    if (!hybrid) return { id, score: fromText };
    const fromVector = Math.max(0, vectors.similarity(id, queryVector) ?? 0);
    return { id, score: (vectorWeight * fromVector + textWeight * fromText) / total };
  }).filter((hit) => hit.score >= settings.query.minScore)
    .sort((a, b) => b.score - a.score)
    .slice(0, limit);
  const rows = db.chunks(scored.map((hit) => hit.id));
  const terms = buildFtsQuery(query).terms;
  return scored.flatMap(({ id, score }) => {
    const row = rows.get(id);
    return row ? [toHit(row, score, terms)] : [];
  });
}

function toHit(row: ChunkRow, score: number, terms: string[]): MemoryHit {
  const id = `${row.path}#L${row.startLine}-L${row.endLine}`;
  return {
    id,
    path: row.path,
    source: row.source,
    startLine: row.startLine,
    endLine: row.endLine,
    score: Math.round(score * 1000) / 1000,
    snippet: snippet(row.text, terms),
    ...(row.source === "sessions"
      ? { sessionId: row.path.slice("sessions/".length, -".jsonl".length) }
      : {}),
    ...(row.time ? { time: row.time } : {}),
  };
}

/** The chunk's text, or a window of it around the first term it holds. */
function snippet(text: string, terms: string[]): string {
  if (text.length <= SNIPPET_CHARS) return text;
  const lower = text.toLowerCase();
  const at = Math.min(
    ...terms.map((term) => lower.indexOf(term)).filter((i) => i >= 0),
    text.length,
  );
  const start = at === text.length ? 0 : Math.max(0, at - SNIPPET_CHARS / 4);
  const piece = text.slice(start, start + SNIPPET_CHARS);
  return `${start > 0 ? "\u2026" : ""}${piece}${
    start + SNIPPET_CHARS < text.length ? "\u2026" : ""
  }`;
}
