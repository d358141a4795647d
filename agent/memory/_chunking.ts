/**
 * @module Cutting memory files and session transcripts into chunks for the index: runs of whole
 * lines (or messages) up to a size, each remembering the lines it came from, with a little
 * overlap so a fact on a boundary is whole in one of them.
 */

/** One line of a file, or one message of a session. */
export interface SourceLine {
  /** 1-based line number in the file (a session's JSONL line). */
  line: number;
  text: string;
  /** A session message's ISO time. */
  time?: string;
}

/** A piece of a source as the index stores it. */
export interface Chunk {
  startLine: number;
  endLine: number;
  text: string;
  /** The time of the chunk's first message (sessions). */
  time?: string;
}

/** Chunk sizes in characters. */
export interface ChunkSize {
  maxChars: number;
  overlapChars: number;
}

/** The character sizes of `tokens`/`overlap` from config (about four characters a token). */
export function chunkSize(tokens: number, overlap: number): ChunkSize {
  const maxChars = Math.max(200, tokens * 4);
  return { maxChars, overlapChars: Math.min(overlap * 4, Math.floor(maxChars / 2)) };
}

/** Groups lines into chunks of at most `maxChars` (a longer line is cut into pieces). */
export function chunkLines(lines: readonly SourceLine[], size: ChunkSize): Chunk[] {
  const chunks: Chunk[] = [];
  let current: SourceLine[] = [];
  let length = 0;
  const flush = () => {
    if (!current.some((line) => line.text.trim())) return;
    chunks.push({
      startLine: current[0].line,
      endLine: current[current.length - 1].line,
      text: current.map((line) => line.text).join("\n"),
      ...(current.find((line) => line.time)?.time
        ? { time: current.find((line) => line.time)!.time }
        : {}),
    });
  };
  for (const piece of lines.flatMap((line) => cut(line, size.maxChars))) {
    if (length + piece.text.length > size.maxChars && current.length) {
      flush();
      // Carry the last lines over, up to the overlap, so the next chunk starts with context.
      const carried: SourceLine[] = [];
      let carriedLength = 0;
      for (let i = current.length - 1; i >= 0; i--) {
        carriedLength += current[i].text.length + 1;
        if (carriedLength > size.overlapChars) break;
        carried.unshift(current[i]);
      }
      current = carried;
      length = carried.reduce((sum, line) => sum + line.text.length + 1, 0);
    }
    current.push(piece);
    length += piece.text.length + 1;
  }
  flush();
  return chunks;
}

function cut(line: SourceLine, maxChars: number): SourceLine[] {
  if (line.text.length <= maxChars) return [line];
  const pieces: SourceLine[] = [];
  for (let at = 0; at < line.text.length; at += maxChars) {
    pieces.push({ ...line, text: line.text.slice(at, at + maxChars) });
  }
  return pieces;
}
