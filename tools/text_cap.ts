/** @module Caps the text a tool hands to the model, saying plainly when and where it was cut. */

/** The default number of characters a document tool returns. */
export const DEFAULT_MAX_CHARS = 50_000;

/** The result of {@linkcode capText}. */
export interface CappedText {
  text: string;
  truncated: boolean;
  /** Characters before the cut. */
  totalChars: number;
}

/** Cuts `text` to `maxChars` characters and appends a note the model can act on. */
export function capText(text: string, maxChars: number): CappedText {
  if (text.length <= maxChars) return { text, truncated: false, totalChars: text.length };
  return {
    text: `${text.slice(0, maxChars)}\n\n[Truncated: showing ${maxChars} of ${text.length} ` +
      "characters; ask for less (a page range, a sheet or range) or raise maxChars]",
    truncated: true,
    totalChars: text.length,
  };
}
