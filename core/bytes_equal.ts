/**
 * @module Constant-time comparison of two byte arrays, for secrets (gateway tokens, file links).
 * Written out rather than taken from `node:crypto`: importing that module at start-up cost the
 * gateway about 100 ms on a loaded 2-core machine (issue 17), for a ten-line loop.
 */

/**
 * True when `a` and `b` hold the same bytes. The time taken depends only on the longer length,
 * never on where the first difference is.
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  for (let i = 0; i < length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}
