/**
 * @module The validated config as the start memo keeps it (core/config/start_memo.ts), so that
 * a gateway starting on an unchanged config has it without loading zod or building the schema
 * (issue 17: ~6 MB of idle memory and a third of the start). The memo holds no string the
 * config text or the environment supplied: each is kept as its key path only and read again
 * from the text (and its `${NAME}`s) at start. What stays in the memo is the schema's defaults,
 * numbers, booleans and key names. A memo is made only when what it restores equals, value for
 * value, the config the schema validated.
 */

import {
  type ConfigIssue,
  deepFreeze,
  parseConfigTextLazily,
  substituteEnv,
} from "./config_text.ts";
import type { Config } from "./schema.ts";

type PathPart = string | number;

/** A validated config with the text's strings taken out, and what validation tolerated. */
export interface MemoConfig {
  /** The config, with `null` at each path in `fromText`. */
  template: unknown;
  /** Key paths whose string value is the substituted text's, at the same path. */
  fromText: PathPart[][];
  /** The unknown keys validation ignored (key paths only). */
  warnings: ConfigIssue[];
}

/** The config text as validation saw it: parsed, `${NAME}`s substituted. */
export async function substitutedText(
  text: string | undefined,
  env: Record<string, string | undefined>,
  file?: string,
): Promise<{ raw: Record<string, unknown>; substituted: unknown }> {
  const raw = text === undefined ? {} : await parseConfigTextLazily(text, file);
  return { raw, substituted: substituteEnv(raw, env) };
}

/**
 * The memo form of `config`, validated from `substituted`; undefined when it would not restore
 * exactly (a string the schema changed, a value JSON cannot hold), so no memo is made.
 */
export function memoOfConfig(
  config: Config,
  substituted: unknown,
  warnings: readonly ConfigIssue[],
): MemoConfig | undefined {
  const fromText: PathPart[][] = [];
  let exact = true;
  const walk = (value: unknown, path: PathPart[]): unknown => {
    if (typeof value === "string") {
      const given = at(substituted, path);
      if (given === value) {
        fromText.push(path);
        return null;
      }
      // A string of the text's that the schema changed would be kept as changed: not kept.
      if (given !== undefined) exact = false;
      return value;
    }
    if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
    if (typeof value === "object" && value !== null) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, walk(item, [...path, key])]),
      );
    }
    return value;
  };
  const memo = {
    template: walk(config, []),
    fromText,
    warnings: warnings.map(({ path, message }) => ({ path, message })),
  };
  // Through JSON as the memo file holds it: NaN, Infinity or undefined would not come back.
  const stored = JSON.parse(JSON.stringify(memo)) as MemoConfig;
  return exact && sameValue(configFromMemo(stored, substituted), config) ? stored : undefined;
}

/** The config a memo stands for, its strings read from `substituted`; undefined if one is gone. */
export function configFromMemo(memo: MemoConfig, substituted: unknown): Config | undefined {
  const config = structuredClone(memo.template);
  for (const path of memo.fromText) {
    const value = at(substituted, path);
    if (typeof value !== "string" || path.length === 0) return undefined;
    const parent = at(config, path.slice(0, -1));
    const last = path[path.length - 1];
    if (typeof parent !== "object" || parent === null || !Object.hasOwn(parent, last)) {
      return undefined;
    }
    (parent as Record<PathPart, unknown>)[last] = value;
  }
  return deepFreeze(config) as Config;
}

/** The value at `path` (own keys only), or undefined. */
function at(data: unknown, path: readonly PathPart[]): unknown {
  let node = data;
  for (const part of path) {
    if (typeof node !== "object" || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<PathPart, unknown>)[part];
  }
  return node;
}

/** Deep equality of JSON-like values: same keys in the same order, same primitives. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const aKeys = Object.keys(a);
  const bKeys = Object.keys(b);
  return aKeys.length === bKeys.length &&
    aKeys.every((key, i) =>
      key === bKeys[i] &&
      sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])
    );
}
