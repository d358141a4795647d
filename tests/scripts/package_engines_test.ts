/**
 * @module package.json `engines` tells the truth: the oldest Node it admits satisfies every
 * runtime dependency's own `engines.node`, so `npm ci` on an admitted Node never warns
 * EBADENGINE.
 */

import { assert } from "../_helpers/assert.ts";

const root = new URL("../..", import.meta.url);

/** A version's [major, minor, patch]. */
function parse(version: string): number[] {
  const [major = 0, minor = 0, patch = 0] = version.replace(/^v/, "").split(".").map(Number);
  return [major, minor, patch];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Enough of npm's range grammar for `engines` fields: `||`, `>=`, `>`, `^`, `~`, bare versions. */
function satisfies(version: string, range: string): boolean {
  const v = parse(version);
  return range.replace(/(>=|<=|>|<|=|\^|~)\s+/g, "$1").split("||").some((alternative) =>
    alternative.trim().split(/\s+(?=[<>^~=\d])/).every((comparator) => {
      const match = comparator.trim().match(/^(>=|>|<=|<|\^|~|=)?\s*v?([\d.x*]+)$/);
      if (!match) return false;
      const [, op = "", text] = match;
      const parts = text.split(".").filter((p) => p !== "x" && p !== "*");
      const bound = parse(parts.join("."));
      const c = compare(v, bound);
      if (op === ">=") return c >= 0;
      if (op === ">") return c > 0;
      if (op === "<=") return c <= 0;
      if (op === "<") return c < 0;
      if (op === "^") return c >= 0 && v[0] === bound[0];
      if (op === "~") return c >= 0 && v[0] === bound[0] && v[1] === bound[1];
      // A bare or partial version: every part given must match.
      return parts.every((part, i) => v[i] === Number(part));
    })
  );
}

Deno.test("package.json engines.node admits no Node that a runtime dependency refuses", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(new URL("package.json", root)));
  const lock = JSON.parse(await Deno.readTextFile(new URL("package-lock.json", root)));
  const oldest = String(pkg.engines.node).match(/^>=\s*([\d.]+)$/)?.[1];
  assert(oldest, `engines.node is not a ">=X" range: ${pkg.engines.node}`);
  const refusing = Object.entries(
    lock.packages as Record<string, { dev?: boolean; engines?: { node?: string } }>,
  )
    .filter(([name, meta]) => name && !meta.dev && typeof meta.engines?.node === "string")
    .filter(([, meta]) => !satisfies(oldest, meta.engines!.node!))
    .map(([name, meta]) => `${name} wants node ${meta.engines!.node}`);
  assert(
    refusing.length === 0,
    `engines.node ${pkg.engines.node} admits ${oldest}, but:\n` +
      refusing.join("\n"),
  );
});
