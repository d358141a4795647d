/**
 * @module The start memo: the validated config of the last start, remembered (in the form of
 * core/config/config_memo.ts, without the text's strings) for the next start on the same input,
 * so that an unchanged config lets the gateway listen and idle without zod or the schema (issue
 * 17: about a third of its start-up, and ~6 MB of its idle memory). An edited config is
 * validated afresh before the gateway listens.
 *
 * The memo is keyed by a SHA-256 digest of everything the validated config depends on: the
 * config file's path and text, the value of every variable substitution reads (named from the
 * parsed strings, as substitution finds them, so an escaped `${NAME}` counts), the source of
 * each module of the validation (CONFIG_VALIDATION_MODULES; a test holds the list to the module
 * graph), of this module and of config_memo.ts (which derive what is kept), the zod and json5
 * packages' manifests and the Deno version. Any change to one of them changes the key, so a
 * memo is never used for input it was not made from; where one of them cannot be read (a
 * compiled binary without its sources), there is no memo. Validation reads nothing else: no
 * other variable, no home dir, no clock (the schema has no such defaults); the state dir and the
 * config path come from the environment but name the memo file and sit in the key. The memo
 * file holds the key, the config without any string of the text's or the environment's (so no
 * secret), and an HMAC of both under a per-install secret (below): a damaged or forged memo is no
 * memo.
 */

import type { MemoConfig } from "./config_memo.ts";
import type { Config } from "./schema.ts";
import type { ConsoleLevel, LogLevel } from "../logger.ts";
import { dirname, join } from "../path.ts";
import { importLazily } from "../lazy_module.ts";

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
  "../protocol/limits.ts",
  "../tool_groups.ts",
  "../gateway_token.ts",
  "../fs.ts",
  "../path.ts",
];

/** The third-party packages the validation runs, by their manifests. */
const PACKAGE_MANIFESTS = ["zod", "json5"].map((name) =>
  new URL(`../../node_modules/${name}/package.json`, import.meta.url)
);

/** Bumped when the memo file's layout or the facts' meaning changes. */
const MEMO_FORMAT = 3;

/**
 * The memo key of a config: its file, its text (undefined: no file), the variables substitution
 * reads for it (`names`, from config_text.ts's substitutedEnvNames of the parsed text) and
 * their values, and the code that validates it; undefined when that code cannot be read.
 */
export async function startMemoKey(
  file: string,
  text: string | undefined,
  names: readonly string[],
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
  const encoder = new TextEncoder();
  const head = encoder.encode(JSON.stringify([
    MEMO_FORMAT,
    Deno.version.deno,
    file,
    text === undefined ? null : text.length,
    [...names].sort().map((name) => [name, env[name] ?? null]),
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

/**
 * The config remembered under `key`, if the memo file holds it undamaged, signed with this
 * install's secret, and it, its directory and the secret are this user's alone.
 */
export async function readStartMemo(
  memoFile: string,
  key: string,
): Promise<MemoConfig | undefined> {
  let memo: unknown;
  let secret: CryptoKey | undefined;
  try {
    if (!await memoFilesTrusted(memoFile)) return undefined;
    secret = await memoSecret(memoFile, false);
    memo = JSON.parse(await Deno.readTextFile(memoFile));
  } catch {
    return undefined; // none yet, or unreadable: validate as if there were none
  }
  if (!secret) return undefined;
  const { key: saved, config, digest } = (memo ?? {}) as {
    key?: unknown;
    config?: unknown;
    digest?: unknown;
  };
  if (saved !== key || !isMemoConfig(config)) return undefined;
  return await memoSigned(secret, memoBody(key, config), digest) ? config : undefined;
}

/**
 * Remembers `config` under `key`, replacing any earlier memo; none where the dir or the secret
 * is not this user's alone. Written aside and renamed over the memo, so a link planted at its
 * name while the dir was loosely set is replaced, never written through. No flush: a torn or
 * lost memo reads back as none, which only costs one start its speed.
 */
export async function writeStartMemo(memoFile: string, key: string, config: MemoConfig) {
  const secret = await memoSecret(memoFile, true);
  if (!secret) return;
  const digest = await signMemo(secret, memoBody(key, config));
  const aside = `${memoFile}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(aside, JSON.stringify({ key, config, digest }) + "\n", {
      createNew: true,
      mode: 0o600,
    });
    await Deno.rename(aside, memoFile);
  } catch (error) {
    await Deno.remove(aside).catch(() => {});
    throw error;
  }
}

/** What the digest covers. */
function memoBody(key: string, config: MemoConfig): string {
  return JSON.stringify([key, config]);
}

// Not core/bytes.ts's hex: this module loads before the gateway listens and core/bytes.ts does
// not, so importing it would add a module to that path (tests/scripts/startup_graph_test.ts).
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

/*
 * Whether the memo may be believed. It stands in for a validated config, so it must be no easier
 * to subvert than the config file itself. Two checks, neither of which loads zod:
 *
 * - Ownership, as ssh checks its files: the memo, its directory and the secret below must be
 *   plain files (a directory), not links, owned by the current user and writable by no group or
 *   other user. Another user who can write into a loosely set state dir cannot plant a memo.
 * - A per-install secret (`gateway-start.key`, 32 random bytes, 0600, made on the first memo
 *   write) keys the memo's digest as an HMAC-SHA-256. A plain digest can be recomputed by whoever
 *   edits the memo; this one only by whoever can read the secret. That stops a memo copied from
 *   another install or put in place by a tool that can write but not read the state dir. It does
 *   not stop a process running as this user (it can read the secret, and equally edit the config
 *   file or the program): that user is as trusted as the config file.
 */

/** The secret's file, next to the memo. */
function secretFile(memoFile: string): string {
  return join(dirname(memoFile), "gateway-start.key");
}

/**
 * True when `path` is a file (or, with `directory`, a directory) that is no link, is owned by
 * the current user and is not group- or other-writable. False wherever that cannot be told (no
 * user ids on this system): no memo is better than an unchecked one.
 */
async function ownedAndPrivate(path: string, directory: boolean): Promise<boolean> {
  const uid = Deno.uid();
  if (uid === null) return false;
  try {
    const info = await Deno.lstat(path);
    return (directory ? info.isDirectory : info.isFile) && info.uid === uid &&
      info.mode !== null && (info.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/**
 * Whether the memo file and its directory pass the ownership check; the secret passes it as
 * {@linkcode memoSecret} reads it.
 */
async function memoFilesTrusted(memoFile: string): Promise<boolean> {
  const checks = await Promise.all([
    ownedAndPrivate(dirname(memoFile), true),
    ownedAndPrivate(memoFile, false),
  ]);
  return checks.every(Boolean);
}

/**
 * The HMAC key of the memo's digest: read from the secret file, or (with `create`) made there
 * first, 0600 in a 0700 directory. Undefined when it cannot be had or fails the ownership check.
 */
async function memoSecret(memoFile: string, create: boolean): Promise<CryptoKey | undefined> {
  const file = secretFile(memoFile);
  const dir = dirname(memoFile);
  if (create) {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    // Written only after a full validation, so its repairs load only then.
    const repair = await importLazily<typeof import("./start_memo_repair.ts")>(
      new URL("./start_memo_repair.ts", import.meta.url),
    );
    await repair.tightenOwnDir(dir);
    if (!await ownedAndPrivate(dir, true)) return undefined;
    try {
      // createNew: never overwrites one that is there (a racing start keeps the first).
      await Deno.writeFile(file, crypto.getRandomValues(new Uint8Array(32)), {
        createNew: true,
        mode: 0o600,
      });
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) return undefined;
      await repair.replaceShortSecret(file);
    }
  }
  if (!await ownedAndPrivate(file, false)) return undefined;
  try {
    const bytes = await Deno.readFile(file);
    if (bytes.length < 32) return undefined;
    return await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
  } catch {
    return undefined;
  }
}

/** The memo's digest under `secret`, in hex. */
async function signMemo(secret: CryptoKey, body: string): Promise<string> {
  return hex(await crypto.subtle.sign("HMAC", secret, new TextEncoder().encode(body)));
}

/** Whether `digest` (hex) is the memo's digest under `secret`; compared in constant time. */
async function memoSigned(secret: CryptoKey, body: string, digest: unknown): Promise<boolean> {
  if (typeof digest !== "string" || !/^[0-9a-f]{64}$/.test(digest)) return false;
  const mac = new Uint8Array(32);
  for (let i = 0; i < 32; i++) mac[i] = parseInt(digest.slice(2 * i, 2 * i + 2), 16);
  return await crypto.subtle.verify("HMAC", secret, mac, new TextEncoder().encode(body));
}
