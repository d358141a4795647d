/**
 * @module BM25 over a set of candidate chunks, for queries so common that FTS5's own bm25 would
 * score most of the index: term frequencies are counted in the chunks' text, and a term's
 * rarity is judged within the candidates.
 */

/** A full-text hit: the chunk id and its bm25 relevance (higher is better). */
export interface TextHit {
  id: number;
  relevance: number;
}

const K1 = 1.2;
const B = 0.75;

/** Scores chunks for the needles they hold, best first. */
export function rankCandidates(
  chunks: readonly { id: number; text: string }[],
  needles: readonly string[],
): TextHit[] {
  const lowered = chunks.map((chunk) => chunk.text.toLowerCase());
  const averageLength = lowered.reduce((sum, text) => sum + text.length, 0) /
      Math.max(1, lowered.length) || 1;
  const counts = lowered.map((text) => needles.map((needle) => occurrences(text, needle)));
  const idf = needles.map((_, n) => {
    const holding = counts.filter((row) => row[n] > 0).length;
    return Math.log(1 + (chunks.length - holding + 0.5) / (holding + 0.5));
  });
  return chunks.map((chunk, i) => {
    const norm = K1 * (1 - B + (B * lowered[i].length) / averageLength);
    const relevance = counts[i].reduce(
      (sum, tf, n) => sum + (tf ? (idf[n] * tf * (K1 + 1)) / (tf + norm) : 0),
      0,
    );
    return { id: chunk.id, relevance };
  }).filter((hit) => hit.relevance > 0)
    // Equal scores keep the newer chunk first.
    .sort((a, b) => b.relevance - a.relevance || b.id - a.id);
}

function occurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) {
    count++;
  }
  return count;
}
