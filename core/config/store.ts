/**
 * @module The live config: the validated, frozen `Config` in force, edits that are validated
 * before they are written (atomically), and one file watcher that publishes every change.
 */

import { basename, dirname } from "../path.ts";
import { GatewayError } from "../errors.ts";
import { writeFileAtomic } from "../fs.ts";
import { editConfigText } from "./document_edit.ts";
import { importLazily, loadOnce } from "../lazy_module.ts";
import type { Config } from "./schema.ts";
import { assertNoForbiddenKeys, getAt, mergePatch, sameJson, setAt, splitKey } from "./key_path.ts";
import { redactSecrets, restoreRedacted } from "./secrets.ts";
import { ConfigError, type ConfigIssue } from "./config_text.ts";
import type { StartOverrides } from "./load.ts";

// The validation (zod, the schema, JSON5) loads when a config is first validated: a gateway
// started from its start memo idles without it until the file is edited or a key looked up.
const validation = loadOnce(() =>
  importLazily<typeof import("./load.ts")>(new URL("./load.ts", import.meta.url))
);
const schemaModule = loadOnce(() =>
  importLazily<typeof import("./schema.ts")>(new URL("./schema.ts", import.meta.url))
);

/** Called with the new and the previous config after every successful change. */
export type ConfigListener = (next: Config, previous: Config) => void;

/** Called when an edit of the file could not be applied; the previous config stays. */
export type ConfigErrorListener = (error: ConfigError) => void;

/** Options for {@linkcode ConfigStore.open}. */
export interface ConfigStoreOptions {
  /** Variables for `${NAME}` substitution. @default Deno.env.toObject() */
  env?: Record<string, string | undefined>;
  /** Watch the file and reload on change. @default false */
  watch?: boolean;
  /** Quiet period after the last file event before reloading. @default 150 */
  debounceMs?: number;
  /**
   * The file's text as the caller already read it (`null`: there was no file), so the store
   * validates exactly what the caller saw. @default read from `path`
   */
  text?: string | null;
  /**
   * The command-line settings of the gateway this config runs (`--bind`, `--auth-token`), so
   * an edit is judged on the settings in force. @default {} (the config and `env` alone)
   */
  overrides?: StartOverrides;
}

/** The config in force, and the only writer of the config file. */
export class ConfigStore {
  readonly path: string;
  #env: Record<string, string | undefined>;
  #overrides: StartOverrides = {};
  #config: Config;
  #raw: Record<string, unknown>;
  #warnings: ConfigIssue[];
  #lastText: string | undefined;
  #listeners = new Set<ConfigListener>();
  #errorListeners = new Set<ConfigErrorListener>();
  #watcher: Deno.FsWatcher | undefined;
  #debounce: ReturnType<typeof setTimeout> | undefined;
  #debounceMs: number;
  #writing: Promise<unknown> = Promise.resolve();

  private constructor(
    path: string,
    env: Record<string, string | undefined>,
    loaded: { config: Config; raw: Record<string, unknown>; warnings: ConfigIssue[] },
    text: string | undefined,
    debounceMs: number,
  ) {
    this.path = path;
    this.#env = env;
    this.#config = loaded.config;
    this.#raw = loaded.raw;
    this.#warnings = loaded.warnings;
    this.#lastText = text;
    this.#debounceMs = debounceMs;
  }

  /**
   * Loads the config file (a missing file means defaults) and optionally watches it.
   *
   * @throws {ConfigError} when the file is invalid: the gateway must not start on it
   */
  static async open(path: string, options: ConfigStoreOptions = {}): Promise<ConfigStore> {
    const env = options.env ?? Deno.env.toObject();
    const { readConfigText, loadConfigText } = await validation();
    const text = options.text === undefined
      ? await readConfigText(path)
      : options.text ?? undefined;
    const loaded = loadConfigText(text, path, env);
    const store = new ConfigStore(path, env, loaded, text, options.debounceMs ?? 150);
    store.#overrides = options.overrides ?? {};
    if (options.watch) store.#watch();
    return store;
  }

  /**
   * A store over a config validated before from the same `text` (the start memo,
   * core/config/start_memo.ts), without validating it again; watched like {@linkcode open}'s.
   */
  static fromValidated(
    path: string,
    loaded: { config: Config; raw: Record<string, unknown>; warnings: ConfigIssue[] },
    text: string | undefined,
    options: Omit<ConfigStoreOptions, "text"> = {},
  ): ConfigStore {
    const env = options.env ?? Deno.env.toObject();
    const store = new ConfigStore(path, env, loaded, text, options.debounceMs ?? 150);
    store.#overrides = options.overrides ?? {};
    if (options.watch) store.#watch();
    return store;
  }

  /** A store over an in-memory document, for tests and in-process tools. */
  static async fromObject(
    path: string,
    raw: Record<string, unknown>,
    env: Record<string, string | undefined> = {},
  ): Promise<ConfigStore> {
    const { validateConfig } = await validation();
    return new ConfigStore(path, env, validateConfig(raw, env, path), undefined, 150);
  }

  /**
   * Judges later edits with the command line of the gateway this store serves (`--bind`,
   * `--auth-token`): the gateway sets it once it knows its flags.
   */
  useStartOverrides(overrides: StartOverrides): void {
    this.#overrides = { ...overrides };
  }

  /** The config in force: frozen, swapped whole on every change. */
  get current(): Config {
    return this.#config;
  }

  /** Unknown keys found at the last load. */
  get warnings(): readonly ConfigIssue[] {
    return this.#warnings;
  }

  /** Subscribes to changes; returns the unsubscribe function. */
  subscribe(listener: ConfigListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Subscribes to failed reloads; returns the unsubscribe function. */
  onError(listener: ConfigErrorListener): () => void {
    this.#errorListeners.add(listener);
    return () => this.#errorListeners.delete(listener);
  }

  /**
   * The effective value at a dot path (or the whole config), secrets redacted.
   *
   * @throws {GatewayError} INVALID_PARAMS for a key the schema does not declare
   */
  async get(key?: string): Promise<unknown> {
    if (!key) return redactSecrets(this.#config);
    const parts = splitKey(key);
    const value = getAt(this.#config, parts);
    if (value === undefined && !(await schemaModule()).isKnownConfigKey(parts)) {
      throw new GatewayError("INVALID_PARAMS", `Unknown config key: "${key}"`);
    }
    return redactSecrets(value, parts.at(-1));
  }

  /**
   * Sets one value by dot path. Validated against the schema before anything is written.
   * Resolves to whether the document changed (setting a key to the value it has writes nothing).
   *
   * @throws {GatewayError} INVALID_PARAMS for an unknown key or a bad value; the file is unchanged
   */
  set(key: string, value: unknown): Promise<boolean> {
    const parts = splitKey(key);
    assertNoForbiddenKeys(value);
    return this.#update((raw) => {
      const restored = restoreRedacted(value, getAt(raw, parts));
      return setAt(raw, parts, restored);
    });
  }

  /**
   * Applies a JSON merge patch to the document, validated as a whole: all or nothing.
   * Resolves to whether the document changed.
   *
   * @throws {GatewayError} INVALID_PARAMS when the patched config is invalid; the file is unchanged
   */
  patch(patch: Record<string, unknown>): Promise<boolean> {
    assertNoForbiddenKeys(patch);
    return this.#update((raw) => {
      const restored = restoreRedacted(patch, raw) as Record<string, unknown>;
      return mergePatch(raw, restored) as Record<string, unknown>;
    });
  }

  /** Re-reads the file now. Returns false (and keeps the config) if it is invalid. */
  async reload(): Promise<boolean> {
    let text: string | undefined;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        this.#emitError(new ConfigError([{ path: "", message: String(error) }], this.path));
        return false;
      }
    }
    if (text === this.#lastText) return true;
    const { parseConfigText, validateConfig } = await validation();
    try {
      const raw = text === undefined ? {} : parseConfigText(text, this.path);
      const loaded = validateConfig(raw, this.#env, this.path);
      this.#lastText = text;
      this.#apply(loaded.config, loaded.raw, loaded.warnings);
      return true;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      this.#lastText = text;
      this.#emitError(error);
      return false;
    }
  }

  /** Stops watching the file. */
  close(): void {
    clearTimeout(this.#debounce);
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#listeners.clear();
    this.#errorListeners.clear();
  }

  #update(edit: (raw: Record<string, unknown>) => Record<string, unknown>): Promise<boolean> {
    const run = this.#writing.then(async () => {
      const { validateConfig, startIssues, keyedConfigWarnings, UNKNOWN_KEY } = await validation();
      const nextRaw = edit(structuredClone(this.#raw));
      // Nothing to write, nothing changed: no rewrite of the file, no `config.changed`.
      if (sameJson(nextRaw, this.#raw)) return false;
      let loaded;
      try {
        loaded = validateConfig(nextRaw, this.#env, this.path);
        // What `gateway run` would refuse to start on (a bind that is no address, a LAN bind
        // without a token, password mode without a password), judged with the gateway's own
        // flags, and what a config may keep but not newly get (a duplicate agent id, an
        // over-long prompt) are refused when this edit brings them: a problem the file already
        // had, unchanged, does not block edits that leave it alone or fix it. The latter are
        // known by what they are, not where: removing an agent before a duplicate or a long
        // prompt moves it in the list but brings nothing new.
        const had = new Set([
          ...startIssues(this.#config, this.#env, this.#overrides).map(issueKey),
          ...keyedConfigWarnings(this.#config).map((warning) => warning.key),
        ]);
        const refused = [
          ...startIssues(loaded.config, this.#env, this.#overrides).filter((issue) =>
            !had.has(issueKey(issue))
          ),
          ...keyedConfigWarnings(loaded.config).filter((warning) => !had.has(warning.key))
            .map((warning) => warning.issue),
        ];
        if (refused.length) throw new ConfigError(refused, this.path);
      } catch (error) {
        if (error instanceof ConfigError) {
          throw new GatewayError(
            "INVALID_PARAMS",
            error.message.replace(/^Invalid config \(.*?\): /, "Invalid config: "),
            {
              issues: error.issues,
            },
          );
        }
        throw error;
      }
      // Only what this write adds is judged: an unknown key the file already had stays a
      // warning, as it is everywhere else, and must not block every later write.
      const had = new Set(this.#warnings.map((warning) => warning.path));
      const added = loaded.warnings.filter((warning) =>
        warning.message === UNKNOWN_KEY && !had.has(warning.path)
      );
      if (added.length) {
        throw new GatewayError(
          "INVALID_PARAMS",
          `Unknown config key: ${added.map((w) => w.path).join(", ")}`,
          { issues: added },
        );
      }
      const text = await editConfigText(this.#lastText, nextRaw);
      await writeFileAtomic(this.path, text, { mode: 0o600 });
      this.#lastText = text;
      this.#apply(loaded.config, nextRaw, loaded.warnings);
      return true;
    });
    this.#writing = run.catch(() => {});
    return run;
  }

  #apply(config: Config, raw: Record<string, unknown>, warnings: ConfigIssue[]): void {
    const previous = this.#config;
    this.#config = config;
    this.#raw = raw;
    this.#warnings = warnings;
    for (const listener of this.#listeners) {
      try {
        listener(config, previous);
      } catch (error) {
        console.error("config listener failed:", error);
      }
    }
  }

  #emitError(error: ConfigError): void {
    for (const listener of this.#errorListeners) listener(error);
  }

  #watch(): void {
    // Watch the folder, not the file: editors and our own atomic writes replace the file,
    // which ends a watch on its old inode.
    const dir = dirname(this.path);
    const name = basename(this.path);
    try {
      Deno.mkdirSync(dir, { recursive: true, mode: 0o700 }); // the state dir, when made here
      this.#watcher = Deno.watchFs(dir, { recursive: false });
    } catch {
      return;
    }
    (async () => {
      for await (const event of this.#watcher!) {
        if (!event.paths.some((p) => basename(p) === name)) continue;
        clearTimeout(this.#debounce);
        this.#debounce = setTimeout(() => {
          this.#writing = this.#writing.then(() => this.reload()).catch(() => {});
        }, this.#debounceMs);
      }
    })().catch(() => {});
  }
}

/** A start issue as a set member: the same problem at the same key is not a new one. */
function issueKey(issue: ConfigIssue): string {
  return `start\n${issue.path}\n${issue.message}`;
}
