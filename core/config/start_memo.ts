/**
 * @module The start memo: the validated config of the last start, remembered (in the form of
 * core/config/config_memo.ts, without the text's strings) for the next start on the same input,
 * so that an unchanged config lets the gateway listen and idle without zod or the schema (issue
 * 17: about a third of its start-up, and ~6 MB of its idle memory). An edited config is
 * validated afresh before the gateway listens.
 *
 * The memo is keyed by a SHA-256 digest of everything the validated config depends on: the
 * config file's path and text, the value of every variable its `${NAME}`s name, the source of
 * each module of the validation (CONFIG_VALIDATION_MODULES; a test holds the list to the module
 * graph), of this module and of config_memo.ts (which derive what is kept), the zod and json5
 * packages' manifests and the Deno version. Any change to one of them changes the key, so a
 * memo is never used for input it was not made from; where one of them cannot be read (a
 * compiled binary without its sources), there is no memo. The memo file holds the key, the
 * config without any string of the text's or the environment's (so no secret), and a digest of
 * both: a damaged memo is no memo.
 */

import type { MemoConfig } from "./config_memo.ts";
import type { Config } from "./schema.ts";
import type { ConsoleLevel, LogLevel } from "../logger.ts";
import { dirname } from "../path.ts";

/** The part of a validated config that `gateway run` needs before it listens. */
export interface StartFacts {
  bind: string;
  port: number;
  /** `gateway.http.port`; absent when not set. */
  httpPort?: number | false;
  auth: { mode: "token" | "password" | "none"; tokenSet: boolean; passwordSet: boolean };
  logging: { level: LogLevel; consoleLevel: ConsoleLevel; maxFileBytes: number; maxFiles: number };
}

/** The start facts of a validated config. */
export function startFacts(config: Config): StartFacts {
  const { gateway, logging } = config;
  return {
    bind: gateway.bind,
    port: gateway.port,
    ...(gateway.http.port === undefined ? {} : { httpPort: gateway.http.port }),
    auth: {
      mode: gateway.auth.mode,
      tokenSet: Boolean(gateway.auth.token),
      passwordSet: Boolean(gateway.auth.password),
    },
    logging: {
      level: logging.level,
      consoleLevel: logging.consoleLevel,
      maxFileBytes: logging.maxFileBytes,
      maxFiles: logging.maxFiles,
    },
  };
}

/**
 * The program's modules whose code decides what a config text validates to, relative to this
 * file. tests/core/config/start_memo_test.ts checks it against the module graph of load.ts.
 */
export const CONFIG_VALIDATION_MODULES = [
  "./load.ts",
  "./config_text.ts",
  "./schema.ts",
  "./key_path.ts",
  "../errors.ts",
  "../protocol/errors.ts",
  "../tool_groups.ts",
];

/** The third-party packages the validation runs, by their manifests. */
const PACKAGE_MANIFESTS = ["zod", "json5"].map((name) =>
  new URL(`../../node_modules/${name}/package.json`, import.meta.url)
);

/** Bumped when the memo file's layout or the facts' meaning changes. */
const MEMO_FORMAT = 2;

const ENV_NAME = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/**
 * The memo key of a config: its file, its text (undefined: no file), the variables it names
 * and the code that validates it; undefined when that code cannot be read.
 */
export async function startMemoKey(
  file: string,
  text: string | undefined,
  env: Record<string, string | undefined>,
): Promise<string | undefined> {
  let code: Uint8Array[];
  try {
    // Bytes, read synchronously: a few small files before anything else runs, hashed as they are.
    code = [
      // These too: what is kept of a valid config, and how, is part of the answer.
      new URL(import.meta.url),
      new URL("./config_memo.ts", import.meta.url),
      ...CONFIG_VALIDATION_MODULES.map((path) => new URL(path, import.meta.url)),
      ...PACKAGE_MANIFESTS,
    ].map((url) => Deno.readFileSync(url));
  } catch {
    return undefined;
  }
  // Every name the text mentions (in a comment, or escaped as `$${NAME}`, too): more than
  // substitution reads, never less.
  const names = [...new Set([...(text ?? "").matchAll(ENV_NAME)].map((match) => match[1]))].sort();
  const encoder = new TextEncoder();
  const head = encoder.encode(JSON.stringify([
    MEMO_FORMAT,
    Deno.version.deno,
    file,
    text === undefined ? null : text.length,
    names.map((name) => [name, env[name] ?? null]),
  ]));
  const parts = [head, ...code, encoder.encode(text ?? "")];
  // Each part behind its length, so no two different inputs make the same bytes.
  const input = new Uint8Array(parts.reduce((sum, part) => sum + 4 + part.length, 0));
  const view = new DataView(input.buffer);
  let at = 0;
  for (const part of parts) {
    view.setUint32(at, part.length);
    input.set(part, at + 4);
    at += 4 + part.length;
  }
  return hex(await crypto.subtle.digest("SHA-256", input));
}

/** The config remembered under `key`, if the memo file holds it undamaged. */
export async function readStartMemo(
  memoFile: string,
  key: string,
): Promise<MemoConfig | undefined> {
  let memo: unknown;
  try {
    memo = JSON.parse(await Deno.readTextFile(memoFile));
  } catch {
    return undefined; // none yet, or unreadable: validate as if there were none
  }
  const { key: saved, config, digest } = (memo ?? {}) as {
    key?: unknown;
    config?: unknown;
    digest?: unknown;
  };
  if (saved !== key || !isMemoConfig(config)) return undefined;
  return digest === await memoDigest(key, config) ? config : undefined;
}

/**
 * Remembers `config` under `key`, replacing the memo of any earlier config. Written in place,
 * without a flush: a torn or lost memo reads back as none, which only costs one start its speed.
 */
export async function writeStartMemo(memoFile: string, key: string, config: MemoConfig) {
  const digest = await memoDigest(key, config);
  await Deno.mkdir(dirname(memoFile), { recursive: true });
  await Deno.writeTextFile(memoFile, JSON.stringify({ key, config, digest }) + "\n", {
    mode: 0o600,
  });
}

async function memoDigest(key: string, config: MemoConfig): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify([key, config]));
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

function hex(digest: ArrayBuffer): string {
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A shape check of what was read back (the digest checks the rest). */
function isMemoConfig(value: unknown): value is MemoConfig {
  const memo = value as Partial<MemoConfig> | null;
  return typeof memo === "object" && memo !== null &&
    typeof memo.template === "object" && memo.template !== null &&
    Array.isArray(memo.fromText) &&
    memo.fromText.every((path) =>
      Array.isArray(path) &&
      path.every((part) => typeof part === "string" || typeof part === "number")
    ) &&
    Array.isArray(memo.warnings) &&
    memo.warnings.every((w) => typeof w?.path === "string" && typeof w?.message === "string");
}
