/** @module Cell addresses and cell values of `read_xlsx`: A1 ranges in, display text out. */

/** A rectangle of cells, 1-based and inclusive; a missing side means "to the sheet's edge". */
export interface CellRange {
  top: number;
  left: number;
  bottom: number;
  right: number;
}

/** Column letters to a 1-based number: A -> 1, Z -> 26, AA -> 27. */
function columnNumber(letters: string): number {
  let n = 0;
  for (const ch of letters.toUpperCase()) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n;
}

/**
 * Parses `"A1:D20"`, `"B7"`, `"B:D"` (whole columns) or `"2:10"` (whole rows).
 *
 * @throws {Error} for anything else, or a range whose end comes before its start
 */
export function parseCellRange(text: string): Partial<CellRange> {
  const spec = text.trim().replace(/\$/g, "");
  let match = spec.match(/^([A-Za-z]{1,3})(\d{1,7})(?::([A-Za-z]{1,3})(\d{1,7}))?$/);
  let range: Partial<CellRange> | undefined;
  if (match) {
    const left = columnNumber(match[1]);
    const top = Number(match[2]);
    range = {
      top,
      left,
      right: match[3] ? columnNumber(match[3]) : left,
      bottom: match[4] ? Number(match[4]) : top,
    };
  } else if ((match = spec.match(/^([A-Za-z]{1,3}):([A-Za-z]{1,3})$/))) {
    range = { left: columnNumber(match[1]), right: columnNumber(match[2]) };
  } else if ((match = spec.match(/^(\d{1,7}):(\d{1,7})$/))) {
    range = { top: Number(match[1]), bottom: Number(match[2]) };
  }
  if (!range) {
    throw new Error(
      `Invalid cell range: ${JSON.stringify(text)} (use e.g. "A1:D20", "B:C", "2:9")`,
    );
  }
  if (
    range.top === 0 || (range.bottom ?? Infinity) < (range.top ?? 1) ||
    (range.right ?? Infinity) < (range.left ?? 1)
  ) {
    throw new Error(`Invalid cell range: ${JSON.stringify(text)} (its end comes before its start)`);
  }
  return range;
}

/** The text a cell shows: a formula's result, rich text joined, dates in ISO form. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso;
  }
  if (typeof value !== "object") return String(value);
  const v = value as Record<string, unknown>;
  if ("formula" in v || "sharedFormula" in v) {
    // A file saved without cached results (some generators) has none to show: give the formula.
    return v.result === undefined
      ? `=${String(v.formula ?? v.sharedFormula)}`
      : formatCell(v.result);
  }
  if (Array.isArray(v.richText)) {
    return v.richText.map((part: { text?: string }) => part.text ?? "").join("");
  }
  if (typeof v.error === "string") return v.error;
  if ("text" in v) return formatCell(v.text);
  return JSON.stringify(value);
}
