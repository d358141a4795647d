/**
 * @module Random and malformed gateway frames from a seeded generator, and a raw client that
 * sends them and checks every answer: shared by the in-suite fuzz test and `scripts/fuzz.ts`.
 */

import { Logger } from "../../core/logger.ts";
import { Dispatcher } from "../../server/dispatcher.ts";
import type { MethodTable } from "../../server/method_table.ts";
import { METHOD_TABLES } from "../../server/rpc_tables.ts";

/** A small seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(max: number): number {
    return Math.floor(this.next() * max);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Strings that have broken parsers and path handling elsewhere. */
const NASTY_STRINGS = [
  "",
  " ",
  "main",
  "default",
  "agent:main:main",
  "agent:main:fuzz",
  "../../../../etc/passwd",
  "..\\..\\windows\\win.ini",
  "/etc/passwd",
  "sessions/../../pyclaw.json",
  "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
  "a\u0000b",
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "hasOwnProperty",
  "\u202e\u0645\u0631\u062d\u0628\u0627",
  "😀🙃👨‍👩‍👧‍👦",
  "\ud800",
  "x".repeat(5000),
  "* * * * *",
  "every 1s",
  "fake/gpt-test",
  "gpt-test",
  "http://127.0.0.1:1/",
  "file:///etc/passwd",
  "javascript:alert(1)",
  "${HOME}",
  "NaN",
  "-1",
  "1e309",
  "true",
  "null",
  "{}",
  "[]",
];

const NASTY_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  2 ** 31,
  2 ** 53,
  -(2 ** 53),
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e308,
  123456789012345678901234567890,
];

const JUNK_KEYS = ["__proto__", "constructor", "prototype", "toString", "", "💥", "a".repeat(300)];

/** Real method names plus near misses and prototype names. */
export function methodPool(methodNames: string[]): string[] {
  return [
    ...methodNames,
    ...methodNames.slice(0, 10).map((name) => name.toUpperCase()),
    ...methodNames.slice(0, 10).map((name) => `${name} `),
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "valueOf",
    "chat.",
    ".",
    "💥",
    "m".repeat(128),
  ];
}

/** The top-level param names each method's schema declares (zod objects, through wrappers). */
export function paramKeys(tables: MethodTable[]): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const table of tables) {
    for (const [name, spec] of Object.entries(table)) keys.set(name, shapeKeys(spec.params));
  }
  return keys;
}

function shapeKeys(schema: unknown, depth = 0): string[] {
  // deno-lint-ignore no-explicit-any
  const s = schema as any;
  if (!s || depth > 6) return [];
  if (s.shape && typeof s.shape === "object") return Object.keys(s.shape);
  const def = s.def ?? s._def ?? {};
  for (const inner of [def.innerType, def.in, def.schema, def.left]) {
    const found = shapeKeys(inner, depth + 1);
    if (found.length) return found;
  }
  if (Array.isArray(def.options)) {
    return def.options.flatMap((o: unknown) => shapeKeys(o, depth + 1));
  }
  return [];
}

/** A random JSON value; `depth` bounds nesting. */
export function randomValue(rng: Rng, depth = 0): unknown {
  const roll = rng.int(depth > 3 ? 6 : 9);
  switch (roll) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(NASTY_NUMBERS) * (rng.chance(0.5) ? 1 : -1);
    case 3:
      return rng.int(1000);
    case 4:
    case 5:
      return rng.chance(0.7) ? rng.pick(NASTY_STRINGS) : randomText(rng, rng.int(40));
    case 6:
      return Array.from({ length: rng.int(5) }, () => randomValue(rng, depth + 1));
    default:
      return randomObject(rng, [], depth + 1);
  }
}

function randomText(rng: Rng, length: number): string {
  let text = "";
  for (let i = 0; i < length; i++) {
    const kind = rng.int(4);
    text += kind === 0
      ? String.fromCharCode(rng.int(0x20))
      : kind === 1
      ? String.fromCodePoint(rng.int(0x10ffff - 0xe000) + (rng.chance(0.5) ? 0xe000 : 0))
      : String.fromCharCode(0x20 + rng.int(0x5f));
  }
  return text;
}

function randomObject(rng: Rng, keys: string[], depth: number): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  const count = rng.int(keys.length + 3);
  for (let i = 0; i < count; i++) {
    const key = keys.length && rng.chance(0.8) ? rng.pick(keys) : rng.pick(JUNK_KEYS);
    // defineProperty, so "__proto__" becomes an own key in the JSON and not a prototype change.
    Object.defineProperty(object, key, {
      value: randomValue(rng, depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}

/** Methods the fuzzer leaves out, with why (the caller decides). */
export interface FuzzOptions {
  methods: string[];
  keys: Map<string, string[]>;
}

/** One frame to send: its text, and the id an answer must carry (undefined: none expected). */
export interface FuzzFrame {
  text: string;
  /** The id the answer must echo; null: an answer with a null id; undefined: none required. */
  expectId: string | number | null | undefined;
  method?: string;
}

/** Makes frame number `n`. Most are well-formed requests with random params. */
export function randomFrame(rng: Rng, n: number, options: FuzzOptions): FuzzFrame {
  const id = `f${n}`;
  const roll = rng.int(100);
  if (roll < 6) {
    const text = rng.pick([
      "{",
      "}",
      "[1,2",
      "nul",
      '{"type":"req"',
      "\u0000",
      randomText(rng, 30),
    ]);
    return { text, expectId: null };
  }
  if (roll < 10) return { text: JSON.stringify(randomValue(rng, 4) ?? 0), expectId: undefined };
  if (roll < 14) {
    // Wrong frame types and ids: an answer comes back, with the id when it was usable.
    const frame = { type: rng.pick(["res", "event", "REQ", 1, null]), id, method: "health" };
    return { text: JSON.stringify(frame), expectId: id };
  }
  if (roll < 18) {
    const badId = rng.pick([null, "", {}, [], true, "x".repeat(300)]);
    return { text: JSON.stringify({ type: "req", id: badId, method: "health" }), expectId: null };
  }
  if (roll < 20) {
    return { text: `{"type":"req","id":1e309,"method":"health"}`, expectId: null };
  }
  if (roll < 23) {
    const depth = 200 + rng.int(5000);
    const params = "[".repeat(depth) + "]".repeat(depth);
    const method = rng.pick(options.methods);
    return {
      text: `{"type":"req","id":"${id}","method":${JSON.stringify(method)},"params":${params}}`,
      expectId: id,
      method,
    };
  }
  if (roll < 26) {
    const depth = 200 + rng.int(3000);
    const params = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
    const method = rng.pick(options.methods);
    return {
      text: `{"type":"req","id":"${id}","method":${JSON.stringify(method)},"params":${params}}`,
      expectId: id,
      method,
    };
  }
  if (roll < 29) {
    const frame = { type: "req", id, method: rng.pick([1, null, "", {}, "x".repeat(200)]) };
    return { text: JSON.stringify(frame), expectId: id };
  }
  const method = rng.pick(options.methods);
  const keys = options.keys.get(method) ?? [];
  const params = rng.chance(0.85) ? randomObject(rng, keys, 1) : randomValue(rng, 1);
  const numericId = rng.chance(0.1);
  const frame = { type: "req", id: numericId ? n : id, method, params };
  return { text: JSON.stringify(frame), expectId: numericId ? n : id, method };
}

/** Config every fuzz gateway gets: nothing launches Chromium or runs a command. */
export const FUZZ_CONFIG = {
  // The browser family is covered by scripts/fuzz.ts; here it answers its disabled error fast.
  browser: { enabled: false },
  tools: { exec: { policy: "deny" } },
  gateway: {
    limits: { requestsPerSecond: 1_000_000, requestBurst: 1_000_000, authFailuresPerMinute: 1_000 },
  },
  cron: { enabled: false },
};

/** Every method a client may call, from the dispatcher built from METHOD_TABLES. */
export function realMethodNames(): string[] {
  const logger = new Logger({ level: "error", consoleLevel: "silent" });
  const names = new Dispatcher(METHOD_TABLES, logger).methodNames;
  logger.close();
  return names;
}
