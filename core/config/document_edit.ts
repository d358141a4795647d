/**
 * @module Writes a config change back into the user's JSON5 text without losing what they wrote
 * around it: comments, unquoted keys, quotes, trailing commas, hex numbers and layout. Only the
 * keys whose values changed are touched, through a lossless (concrete syntax tree) JSON5 parser.
 */

import { isPlainObject, sameJson } from "./key_path.ts";

type JsonObject = Record<string, unknown>;

/**
 * The new file text for a document that goes from what `text` says to `next`.
 *
 * @param text the file as it is now (undefined when there is none)
 * @param next the whole document after the change
 */
export async function editConfigText(text: string | undefined, next: JsonObject): Promise<string> {
  const fresh = JSON.stringify(next, null, 2) + "\n";
  if (text === undefined || text.trim() === "") return fresh;
  // Loaded on the first write only: start-up and reads never need it.
  const { JsonParser, JsonObjectNode } = await import("@croct/json5-parser");
  let root;
  try {
    root = JsonParser.parse(text, JsonObjectNode);
  } catch {
    // The file no longer parses (an edit in progress): the validated document wins.
    return fresh;
  }
  const before = root.toJSON() as JsonObject;
  // `{}` alone has no style to keep; new entries would land on one line.
  if (Object.keys(before).length === 0 && !/\/[/*]/.test(text)) return fresh;
  sync(root, before, next, JsonObjectNode);
  return root.toString();
}

interface ObjectNode {
  has(name: string): boolean;
  get(name: string): unknown;
  set(name: string, value: never): void;
  delete(name: string): void;
}

/** Brings `node` (whose value is `before`) to `after`, touching only what differs. */
function sync(
  node: ObjectNode,
  before: JsonObject,
  after: JsonObject,
  // deno-lint-ignore no-explicit-any
  ObjectNodeClass: abstract new (...args: any[]) => unknown,
): void {
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) node.delete(key);
  }
  for (const [key, value] of Object.entries(after)) {
    const old = Object.hasOwn(before, key) ? before[key] : undefined;
    if (old !== undefined && sameJson(old, value)) continue;
    const child = node.has(key) ? node.get(key) : undefined;
    if (isPlainObject(old) && isPlainObject(value) && child instanceof ObjectNodeClass) {
      sync(child as ObjectNode, old, value, ObjectNodeClass);
    } else {
      node.set(key, value as never);
    }
  }
}
