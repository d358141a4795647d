/**
 * @module Splits an answer into plain text, inline code and fenced code blocks, the little of
 * Markdown that matters most for reading answers. Only structure is found here; the components
 * render every segment as text, so nothing in an answer is ever taken as HTML.
 */

/** One piece of an answer. */
export type TextSegment =
  | { kind: "text"; text: string }
  | { kind: "code"; text: string }
  | { kind: "block"; text: string; language: string };

const FENCE = /```([\w+-]*)[^\n]*\n?([\s\S]*?)(?:```|$)/g;
const INLINE = /`([^`\n]+)`/g;

/** The segments of `text`, in order; an unclosed fence (still streaming) runs to the end. */
export function textSegments(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let last = 0;
  for (const match of text.matchAll(FENCE)) {
    if (match.index > last) segments.push(...inlineSegments(text.slice(last, match.index)));
    segments.push({ kind: "block", language: match[1], text: match[2].replace(/\n$/, "") });
    last = match.index + match[0].length;
    // The block already ends its line.
    if (text[last] === "\n") last += 1;
  }
  const rest = text.slice(last);
  // Whitespace after the last block would only show as an empty line.
  if (rest !== "" && (segments.length === 0 || rest.trim() !== "")) {
    segments.push(...inlineSegments(rest));
  }
  return segments;
}

function inlineSegments(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) segments.push({ kind: "text", text: text.slice(last, match.index) });
    segments.push({ kind: "code", text: match[1] });
    last = match.index + match[0].length;
  }
  if (last < text.length) segments.push({ kind: "text", text: text.slice(last) });
  return segments;
}
