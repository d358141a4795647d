/**
 * @module The bounded output of a background process: the newest bytes are kept, the oldest
 * dropped past the cap (counted, so a reader knows), and each reader has a cursor so `poll`
 * returns only what is new.
 */

/** A byte position in everything the process wrote (dropped bytes included). */
export type OutputCursor = number;

/** Keeps the last `maxBytes` of a stream of text. */
export class OutputBuffer {
  #chunks: string[] = [];
  #kept = 0;
  /** Characters written in all, including those dropped. */
  #total = 0;
  readonly maxChars: number;

  constructor(maxChars: number) {
    this.maxChars = maxChars;
  }

  /** Characters written in all (the cursor after the newest one). */
  get total(): OutputCursor {
    return this.#total;
  }

  /** Characters dropped from the front to stay under the cap. */
  get dropped(): number {
    return this.#total - this.#kept;
  }

  append(text: string): void {
    if (!text) return;
    this.#chunks.push(text);
    this.#kept += text.length;
    this.#total += text.length;
    while (this.#kept > this.maxChars && this.#chunks.length > 0) {
      const excess = this.#kept - this.maxChars;
      const first = this.#chunks[0];
      if (first.length <= excess) {
        this.#chunks.shift();
        this.#kept -= first.length;
      } else {
        this.#chunks[0] = first.slice(excess);
        this.#kept -= excess;
      }
    }
  }

  /** What was written from `cursor` on (what is still kept of it), and how much was lost. */
  since(cursor: OutputCursor): { text: string; lost: number } {
    const all = this.#chunks.join("");
    const start = Math.max(cursor, this.dropped);
    return { text: all.slice(start - this.dropped), lost: start - cursor };
  }
}
