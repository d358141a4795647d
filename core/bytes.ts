/**
 * @module Bytes: constant-time comparison of two byte arrays or strings, for secrets (gateway
 * tokens, file links), joining arrays read in pieces, finding bytes in a line, and writing bytes
 * as hex.
 * The comparison is written out rather than taken from `node:crypto`: importing that module at
 * start-up cost the gateway about 100 ms on a loaded 2-core machine (issue 17), for a ten-line
 * loop.
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

/**
 * True when `a` and `b` are the same string, compared code unit by code unit in time that
 * depends only on the longer length. For a secret given as text (a Bearer token), this spares
 * encoding it to bytes first: an op call and an array on every authenticated request (issue 17).
 */
export function textEqual(a: string, b: string): boolean {
  const length = Math.max(a.length, b.length);
  let difference = a.length ^ b.length;
  // Past a string's end charCodeAt gives NaN, which `| 0` makes 0: the walk goes on regardless.
  for (let i = 0; i < length; i++) difference |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return difference === 0;
}

/** The bytes of `parts`, one after another, in a new array (a body's reads, a process's output). */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let length = 0;
  for (const part of parts) length += part.length;
  const joined = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}

/** True when `line` starts with the bytes of `prefix`. */
export function startsWith(line: Uint8Array, prefix: Uint8Array): boolean {
  if (line.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (line[i] !== prefix[i]) return false;
  return true;
}

/** Where `part` last occurs in `bytes`, or -1. */
export function lastIndexOf(bytes: Uint8Array, part: Uint8Array): number {
  outer: for (let i = bytes.length - part.length; i >= 0; i--) {
    for (let j = 0; j < part.length; j++) if (bytes[i + j] !== part[j]) continue outer;
    return i;
  }
  return -1;
}

/** Bytes as lowercase hex, for keeping them in JSON. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The SHA-256 digest of `text`'s UTF-8 bytes, as 64 lowercase hex digits. */
export async function sha256Hex(text: string): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}
