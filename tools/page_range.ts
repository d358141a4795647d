/** @module Page and slide selections such as `"1-3,7,9-"`, shared by the document tools. */

/**
 * Parses `"1-3,7,9-"` into numbers (1-based, ascending, without repeats); empty or `"all"`
 * selects everything.
 *
 * @param unit what is counted, for messages ("page", "slide")
 * @throws {Error} for a malformed selection or numbers past `count`
 */
export function parsePageRange(spec: string | undefined, count: number, unit = "page"): number[] {
  if (spec === undefined || spec.trim() === "" || spec.trim().toLowerCase() === "all") {
    return Array.from({ length: count }, (_, i) => i + 1);
  }
  const numbers = new Set<number>();
  for (const part of spec.split(",")) {
    const match = part.trim().match(/^(\d+)(?:\s*-\s*(\d*))?$/);
    if (!match) {
      throw new Error(`Invalid ${unit} range: ${JSON.stringify(spec)} (use e.g. "1-3,7")`);
    }
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : match[2] === "" ? count : Number(match[2]);
    if (from < 1 || to < from) {
      throw new Error(`Invalid ${unit} range: ${JSON.stringify(part.trim())}`);
    }
    if (to > count) {
      throw new Error(
        `${unit[0].toUpperCase()}${unit.slice(1)} ${to} is out of range: ` +
          `the document has ${count} ${unit}(s)`,
      );
    }
    for (let n = from; n <= to; n++) numbers.add(n);
  }
  return [...numbers].sort((a, b) => a - b);
}
