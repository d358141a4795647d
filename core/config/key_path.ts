/** @module Dot-path access, JSON merge patch (RFC 7396) and secret redaction over plain JSON data. */

import { GatewayError } from "../errors.ts";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

type Json = unknown;
type JsonObject = Record<string, Json>;

export function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Whether two JSON documents are equal, key order aside. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key], b[key]));
  }
  return false;
}

/** Splits `a.b.c` into segments, refusing empty and prototype-polluting ones. */
export function splitKey(key: string): string[] {
  const parts = key.split(".");
  for (const part of parts) {
    if (part === "") throw new GatewayError("INVALID_PARAMS", `Invalid config key: "${key}"`);
    if (FORBIDDEN_KEYS.has(part)) {
      throw new GatewayError("INVALID_PARAMS", `Forbidden config key segment: "${part}"`);
    }
  }
  return parts;
}

/** Value at `parts` in `data`, or `undefined`. */
export function getAt(data: Json, parts: string[]): Json {
  let node = data;
  for (const part of parts) {
    if (!isPlainObject(node) || !Object.hasOwn(node, part)) return undefined;
    node = node[part];
  }
  return node;
}

/** A copy of `data` with `value` at `parts`, creating objects on the way. */
export function setAt(data: JsonObject, parts: string[], value: Json): JsonObject {
  const [head, ...rest] = parts;
  const copy: JsonObject = { ...data };
  if (rest.length === 0) {
    copy[head] = value;
  } else {
    const child = Object.hasOwn(data, head) && isPlainObject(data[head]) ? data[head] : {};
    copy[head] = setAt(child as JsonObject, rest, value);
  }
  return copy;
}

/** How deep a value written into the config may nest; real configs stay under ten levels. */
export const MAX_CONFIG_DEPTH = 64;

/**
 * Throws INVALID_PARAMS if any object key anywhere in `value` could pollute a prototype, or if
 * `value` nests deeper than {@linkcode MAX_CONFIG_DEPTH} (every later step recurses over it).
 * Iterative, so a hostile depth cannot overflow the stack here either.
 */
export function assertNoForbiddenKeys(value: Json, path = ""): void {
  const stack: { value: Json; path: string; depth: number }[] = [{ value, path, depth: 0 }];
  while (stack.length) {
    const item = stack.pop()!;
    if (item.depth > MAX_CONFIG_DEPTH) {
      throw new GatewayError(
        "INVALID_PARAMS",
        `Value nests deeper than ${MAX_CONFIG_DEPTH} levels at "${item.path || "."}"`,
      );
    }
    const depth = item.depth + 1;
    if (Array.isArray(item.value)) {
      item.value.forEach((child, i) =>
        stack.push({ value: child, path: `${item.path}[${i}]`, depth })
      );
    } else if (isPlainObject(item.value)) {
      for (const key of Object.keys(item.value)) {
        if (FORBIDDEN_KEYS.has(key)) {
          throw new GatewayError(
            "INVALID_PARAMS",
            `Forbidden key "${key}" at "${item.path || "."}"`,
          );
        }
        stack.push({
          value: item.value[key],
          path: item.path ? `${item.path}.${key}` : key,
          depth,
        });
      }
    }
  }
}

/** RFC 7396 JSON merge patch: objects merge, `null` deletes, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return patch;
  const result: JsonObject = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
