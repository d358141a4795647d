/**
 * @module How text reaches the FTS5 trigram index and how a query becomes an FTS5 expression,
 * for English and Chinese alike. Trigrams need three characters, and Chinese words are often one
 * or two, so each CJK run is also indexed as its characters joined by `#`. Below, capital letters
 * stand for CJK characters (sources are kept to Latin-1: tests/scripts/latin1_sources_test.ts):
 * `ABC` is indexed as `#A#B#C#`, so the character A is the trigram `#A#` and the two-character
 * word BC the trigram `B#C`.
 */

const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const CJK_RUNS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+/gu;
/** Clauses one query may have: FTS5 parses 2,000 ORed pairs for a tenth of a second. */
const MAX_CLAUSES = 32;
/** Splits a query into terms: anything that is not a letter, digit or mark separates them. */
const TERMS = /[\p{L}\p{N}\p{M}_]+/gu;

/** The `cjk` column of a chunk: each run of CJK characters spelled out with `#` between. */
export function cjkColumn(text: string): string {
  const runs = text.match(CJK_RUNS);
  return runs ? runs.map((run) => `#${[...run].join("#")}#`).join(" ") : "";
}

/** True when the text holds a CJK character. */
export function hasCjk(text: string): boolean {
  return CJK.test(text);
}

/** A query made ready for FTS5, or why it cannot be searched. */
export interface FtsQuery {
  /** The FTS5 MATCH expression; undefined when no term is searchable. */
  match?: string;
  /** The terms searched, lower-cased, for scoring snippets. */
  terms: string[];
  /** What each clause looks for in a chunk's lower-cased text, to score chunks without FTS5. */
  needles: string[];
}

/**
 * Builds an FTS5 expression that matches a chunk holding any of the query's terms (bm25 ranks
 * the chunks holding more of them, and rarer ones, first).
 *
 * - A word of three or more characters is a trigram phrase (so `whisker` also finds
 *   `Whiskers`); a two-character word is matched at a word's start or end (` ai`, `ai `); a
 *   single letter is dropped.
 * - A CJK run is split into its two-character pieces (`ABCD` -> AB, BC, CD), each a
 *   phrase of the `cjk` column, so one shared word is enough to match; a lone character is
 *   matched as itself.
 */
export function buildFtsQuery(query: string): FtsQuery {
  const clauses = new Set<string>();
  const terms = new Set<string>();
  const needles = new Set<string>();
  for (const word of query.toLowerCase().match(TERMS) ?? []) {
    if (clauses.size >= MAX_CLAUSES) break;
    for (const part of splitScripts(word)) {
      if (hasCjk(part)) {
        const chars = [...part];
        terms.add(part);
        if (chars.length === 1) {
          clauses.add(cjkPhrase(chars));
          needles.add(part);
        }
        for (let i = 0; i + 1 < chars.length && clauses.size < MAX_CLAUSES; i++) {
          clauses.add(cjkPhrase(chars.slice(i, i + 2)));
          needles.add(chars[i] + chars[i + 1]);
        }
      } else if ([...part].length >= 3) {
        terms.add(part);
        needles.add(part);
        clauses.add(phrase(part));
      } else if ([...part].length === 2) {
        terms.add(part);
        needles.add(part);
        clauses.add(`(${phrase(` ${part}`)} OR ${phrase(`${part} `)})`);
      }
    }
  }
  return {
    match: clauses.size ? [...clauses].join(" OR ") : undefined,
    terms: [...terms],
    needles: [...needles],
  };
}

/** Splits a word into its CJK and non-CJK runs (`gptAB` -> gpt, AB, where A and B are CJK characters). */
function splitScripts(word: string): string[] {
  const parts: string[] = [];
  let current = "";
  let currentCjk = false;
  for (const char of word) {
    const cjk = CJK.test(char);
    if (current && cjk !== currentCjk) {
      parts.push(current);
      current = "";
    }
    current += char;
    currentCjk = cjk;
  }
  if (current) parts.push(current);
  return parts;
}

/**
 * A one- or two-character CJK piece as one trigram of the `cjk` column: `#A#` for A, and the
 * middle trigram `B#C` for BC (`#` only ever separates characters, so it names the pair
 * alone) -- one posting list each, however long the query.
 */
function cjkPhrase(chars: string[]): string {
  return `cjk : ${phrase(chars.length === 1 ? `#${chars[0]}#` : chars.join("#"))}`;
}

function phrase(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}
