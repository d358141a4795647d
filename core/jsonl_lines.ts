/**
 * @module Reads a JSON-lines file from the end backwards, or a byte range forwards, in fixed
 * chunks: a turn reads the lines it needs, never the whole file, so its cost does not grow with
 * the session's length. Each value comes with the byte offset of its line, which cursors and
 * compaction entries point at. A line that does not parse (the torn tail of a crash) is skipped.
 */

import { lastIndexOf } from "./bytes.ts";
import { readAt } from "./fs.ts";

/** A parsed line and where it starts in the file. */
export interface LocatedLine {
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line's newline (or the file's end). */
  end: number;
  value: unknown;
}

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 10;
const decoder = new TextDecoder();

/**
 * Lines of `path` ending at or before byte `before` (default: the end), newest first. Stop
 * early by breaking out of the loop; the file is closed either way. A missing file yields none.
 */
export async function* linesBackward(
  path: string,
  before?: number,
  options: LineOptions = {},
): AsyncGenerator<LocatedLine> {
  const parse = (line: Uint8Array) =>
    options.parseIf && !options.parseIf(line) ? UNPARSED : parseLine(line, options.lineStart);
  const file = await openIfExists(path);
  if (!file) return;
  try {
    const size = (await file.stat()).size;
    let position = Math.min(before ?? size, size);
    // Bytes of a line whose start is still further back, and where they end.
    let carry = new Uint8Array(0);
    let carryEnd = position;
    while (position > 0) {
      const length = Math.min(CHUNK_BYTES, position);
      position -= length;
      const chunk = await readAt(file, position, length);
      const joined = concat(chunk, carry);
      // Walk the newlines from the back: every complete line after the first newline is whole.
      let lineEnd = joined.length;
      for (let i = joined.length - 1; i >= 0; i--) {
        if (joined[i] !== NEWLINE) continue;
        const line = joined.subarray(i + 1, lineEnd);
        const offset = position + i + 1;
        if (line.length) {
          const value = parse(line);
          if (value !== undefined) yield { offset, end: carryEnd, value };
        }
        carryEnd = offset;
        lineEnd = i;
      }
      carry = joined.slice(0, lineEnd);
    }
    if (carry.length) {
      const value = parse(carry);
      if (value !== undefined) yield { offset: 0, end: carryEnd, value };
    }
  } finally {
    file.close();
  }
}

/** Options of {@linkcode linesBackward}. */
export interface LineOptions {
  /**
   * Parse only the lines whose bytes pass this test; the others are yielded with the value
   * {@linkcode UNPARSED} (their offsets and sizes still count). A scan past thousands of lines
   * for one kind then costs no JSON parsing and leaves little garbage.
   */
  parseIf?(line: Uint8Array): boolean;
  /**
   * The bytes every whole line starts with. A line that does not parse is tried again from the
   * last place they occur in it: a whole line a writer appended onto the torn end another left
   * (without reading the last byte first) is read back, and the torn part is skipped.
   */
  lineStart?: Uint8Array;
}

/** The value of a line that `parseIf` chose not to parse. */
export const UNPARSED: unique symbol = Symbol("unparsed");

/** Lines of `path` starting in `[start, end)`, oldest first; `start` must be a line start. */
export async function* linesForward(
  path: string,
  start = 0,
  end?: number,
  options: Pick<LineOptions, "lineStart"> = {},
): AsyncGenerator<LocatedLine> {
  for await (const batch of lineBatchesForward(path, start, end)) {
    for (const line of batch) {
      const value = parseLine(line.bytes, options.lineStart);
      if (value !== undefined) yield { offset: line.offset, end: line.end, value };
    }
  }
}

/** A line's bytes, unparsed, and where it lies in the file. */
export interface RawLine {
  /** Byte offset of the line's first byte. */
  offset: number;
  /** Byte offset just past the line's newline (or the end read). */
  end: number;
  /**
   * The line without its newline. Each batch reads into buffers of its own, so the bytes stay
   * valid after later batches (agent/_session_totals.ts keeps the last line's).
   */
  bytes: Uint8Array;
  /** False for a last line with no newline after it (torn, or still being written). */
  ended: boolean;
}

/**
 * The non-empty lines of `path` starting in `[start, end)`, oldest first and unparsed, a chunk's
 * lines at a time: for a reader that parses only the lines it needs, or counts lines by their
 * bytes. `start` must be a line start. A missing file yields none.
 */
export async function* lineBatchesForward(
  path: string,
  start = 0,
  end?: number,
): AsyncGenerator<RawLine[]> {
  const file = await openIfExists(path);
  if (!file) return;
  try {
    const stop = Math.min(end ?? Infinity, (await file.stat()).size);
    let position = start;
    let carry = new Uint8Array(0);
    let carryStart = start;
    while (position < stop) {
      const chunk = await readAt(file, position, Math.min(CHUNK_BYTES, stop - position));
      if (!chunk.length) break;
      position += chunk.length;
      const joined = concat(carry, chunk);
      const batch: RawLine[] = [];
      let lineStart = 0;
      for (let i = 0; i < joined.length; i++) {
        if (joined[i] !== NEWLINE) continue;
        if (i > lineStart) {
          const bytes = joined.subarray(lineStart, i);
          batch.push({
            offset: carryStart + lineStart,
            end: carryStart + i + 1,
            bytes,
            ended: true,
          });
        }
        lineStart = i + 1;
      }
      carry = joined.slice(lineStart);
      carryStart += lineStart;
      if (batch.length) yield batch;
    }
    if (carry.length) yield [{ offset: carryStart, end: stop, bytes: carry, ended: false }];
  } finally {
    file.close();
  }
}

/** True when `offset` is where a line of `path` starts (0, or just after a newline). */
export async function isLineStart(path: string, offset: number): Promise<boolean> {
  if (offset === 0) return true;
  const file = await openIfExists(path);
  if (!file) return false;
  try {
    if (offset > (await file.stat()).size) return false;
    const byte = await readAt(file, offset - 1, 1);
    return byte[0] === NEWLINE;
  } finally {
    file.close();
  }
}

async function openIfExists(path: string): Promise<Deno.FsFile | undefined> {
  try {
    return await Deno.open(path, { read: true });
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  if (!b.length) return a;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/**
 * The value of one line's bytes; `undefined` for a blank line or one that does not parse. With
 * `lineStart` (see {@linkcode LineOptions}), a whole line glued onto a torn one is read back.
 */
export function parseLine(bytes: Uint8Array, lineStart?: Uint8Array): unknown {
  const text = decoder.decode(bytes);
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // A torn line, or a whole one glued onto it.
    const at = lineStart ? lastIndexOf(bytes, lineStart) : -1;
    return at > 0 ? parseLine(bytes.subarray(at)) : undefined;
  }
}
