/**
 * @module The local model store: downloaded models under `<state>/models`, described by one small
 * index file (`index.json`, replaced atomically) that says what each model is and which is selected.
 */

import { dirname, join, relative } from "../../core/path.ts";
import { readTextIfExists, writeFileAtomic } from "../../core/fs.ts";
import { containedPath } from "../../core/paths.ts";

/** Runtimes a local model can be run with. */
export type LocalBackend = "llamacpp" | "mlx";

/** Hubs models come from. */
export type HubSource = "huggingface" | "modelscope";

/** One downloaded model. */
export interface LocalModel {
  /** `<repo>/<file>` for a GGUF (`Qwen/Qwen3-4B-GGUF/qwen3-4b-q4_k_m.gguf`), `<repo>` for MLX. */
  id: string;
  backend: LocalBackend;
  /** Bytes on disk (all files of an MLX snapshot). */
  size: number;
  /** Absolute path: the GGUF file, or the MLX snapshot folder. */
  path: string;
  /** The hub's sha256 of the GGUF, checked at download; absent for MLX snapshots. */
  sha256?: string;
  source: HubSource;
  repo: string;
  /** ISO time of the download. */
  downloadedAt: string;
}

interface IndexFile {
  version: 1;
  selected?: string;
  /** Paths are stored relative to the models dir, so the state dir can move. */
  models: LocalModel[];
}

/** A model as `models local` shows it. */
export type LocalModelView = LocalModel & { selected: boolean };

/** The model store under one models dir. Writes are serialized within the process. */
export class LocalModelStore {
  readonly dir: string;
  readonly indexFile: string;
  #writing: Promise<unknown> = Promise.resolve();
  #snapshot: { mtime: number; checkedAt: number; keys: Set<string> } | undefined;
  #refreshing: Promise<void> | undefined;

  constructor(modelsDir: string) {
    this.dir = modelsDir;
    this.indexFile = join(modelsDir, "index.json");
  }

  /**
   * True when the store holds a model for `backend`. Synchronous because provider resolution asks
   * it on every request, and answered from memory: see {@linkcode LocalModelStore.#keysSync}.
   */
  hasModelsSync(backend: LocalBackend): boolean {
    return this.#keysSync().has(backend);
  }

  /** True when the store holds model `id` for `backend` (synchronous, like `hasModelsSync`). */
  hasModelSync(id: string, backend: LocalBackend): boolean {
    return this.#keysSync().has(`${backend}/${id}`);
  }

  /**
   * Reads the index into memory (a service start), so that no request reads it synchronously:
   * a synchronous read on a request path stalls every other client while it runs.
   */
  async load(): Promise<void> {
    if (this.#snapshot) return;
    const mtime = await Deno.stat(this.indexFile).then((s) => s.mtime?.getTime() ?? 0, () => -1);
    const text = mtime < 0 ? undefined : await readTextIfExists(this.indexFile).catch(() => "");
    this.#snapshot ??= { keys: keysOf(text), checkedAt: performance.now(), mtime };
  }

  /**
   * The backends and model refs in the index, from memory. The file is read synchronously only
   * when nothing called {@linkcode LocalModelStore.load} first; after that a request never touches the file system: this store's own writes
   * update the snapshot at once, and another process's (a CLI `models pull`) are picked up by a
   * background check at most once a second.
   */
  #keysSync(): Set<string> {
    if (!this.#snapshot) {
      let text: string | undefined;
      try {
        text = Deno.readTextFileSync(this.indexFile);
      } catch {
        // No index yet: no models.
      }
      this.#snapshot = { keys: keysOf(text), checkedAt: performance.now(), mtime: 0 };
    } else if (performance.now() - this.#snapshot.checkedAt > 1_000 && !this.#refreshing) {
      this.#snapshot.checkedAt = performance.now();
      this.#refreshing = this.#refresh().finally(() => (this.#refreshing = undefined));
    }
    return this.#snapshot.keys;
  }

  async #refresh(): Promise<void> {
    const mtime = await Deno.stat(this.indexFile).then((s) => s.mtime?.getTime() ?? 0, () => -1);
    if (!this.#snapshot || mtime === this.#snapshot.mtime) return;
    const text = mtime < 0 ? undefined : await readTextIfExists(this.indexFile).catch(() => "");
    this.#snapshot = { keys: keysOf(text), checkedAt: performance.now(), mtime };
  }

  /** Where a model's file (or snapshot folder) lives, or `undefined` for an id that escapes the store. */
  pathFor(id: string): string | undefined {
    // Hub-supplied names become paths: no empty, `.` or `..` segments, nothing under `.partial`.
    const segments = id.split("/");
    if (id.startsWith(".") || segments.some((s) => s === "" || s === "." || s === "..")) {
      return undefined;
    }
    const full = containedPath(this.dir, id);
    return full && full !== this.dir ? full : undefined;
  }

  /** Where an unfinished download of `id` from `source` is kept until it is verified. */
  partialPathFor(source: HubSource, id: string): string | undefined {
    return containedPath(join(this.dir, ".partial", source), `${id}.part`);
  }

  /** Every model in the index, with `selected` set on the selected one. */
  async list(): Promise<LocalModelView[]> {
    const index = await this.#read();
    return index.models.map((model) => ({
      ...model,
      path: this.#absolute(model.path),
      selected: model.id === index.selected,
    }));
  }

  async get(id: string): Promise<LocalModelView | undefined> {
    return (await this.list()).find((model) => model.id === id);
  }

  /**
   * The models an id a user typed names: the exact id, else every id equal to it ignoring case
   * (hubs name files `Qwen3-4B-Q4_K_M.gguf` while people write `qwen3-4b-q4_k_m.gguf`). Fine for
   * choosing a model; a command that deletes one takes {@linkcode get}'s exact id, since another
   * source's repo may differ from a deleted one only in case (`Qwen/...` and `qwen/...`).
   */
  async match(id: string): Promise<LocalModelView[]> {
    const models = await this.list();
    const exact = models.filter((model) => model.id === id);
    if (exact.length) return exact;
    const lower = id.toLowerCase();
    return models.filter((model) => model.id.toLowerCase() === lower);
  }

  /** The selected model's id, if any. */
  async selectedId(): Promise<string | undefined> {
    return (await this.#read()).selected;
  }

  /** Adds (or replaces) a model's entry. */
  add(model: LocalModel): Promise<void> {
    return this.#update((index) => {
      const entry = { ...model, path: relative(this.dir, model.path) };
      index.models = [...index.models.filter((m) => m.id !== model.id), entry];
      index.models.sort((a, b) => a.id.localeCompare(b.id));
    });
  }

  /** Marks `id` as selected; returns false (and changes nothing) when it is not in the store. */
  async select(id: string): Promise<boolean> {
    let found = false;
    await this.#update((index) => {
      found = index.models.some((m) => m.id === id);
      if (found) index.selected = id;
    });
    return found;
  }

  /**
   * Removes a model's entry and its files (and folders left empty).
   *
   * @returns the removed model, or `undefined` when it was not in the store
   */
  async remove(id: string): Promise<LocalModel | undefined> {
    let removed: LocalModel | undefined;
    await this.#update(async (index) => {
      const entry = index.models.find((m) => m.id === id);
      if (!entry) return;
      removed = { ...entry, path: this.#absolute(entry.path) };
      index.models = index.models.filter((m) => m.id !== id);
      if (index.selected === id) delete index.selected;
      for (const path of splitSiblings(removed.path)) {
        await Deno.remove(path, { recursive: true }).catch((error) => {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        });
      }
      await this.#pruneEmptyParents(removed.path);
    });
    return removed;
  }

  #absolute(path: string): string {
    return join(this.dir, path);
  }

  async #pruneEmptyParents(path: string): Promise<void> {
    for (let dir = dirname(path); dir.startsWith(this.dir + "/"); dir = dirname(dir)) {
      try {
        await Deno.remove(dir); // fails on a non-empty folder, which ends the walk
      } catch {
        return;
      }
    }
  }

  async #read(): Promise<IndexFile> {
    const text = await readTextIfExists(this.indexFile);
    if (text === undefined) return { version: 1, models: [] };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`Model index is not valid JSON: ${this.indexFile}`);
    }
    if (!isIndex(parsed)) throw new Error(`Model index has an unknown shape: ${this.indexFile}`);
    return parsed;
  }

  #update(edit: (index: IndexFile) => void | Promise<void>): Promise<void> {
    const run = this.#writing.then(async () => {
      const index = await this.#read();
      await edit(index);
      const text = JSON.stringify(index, null, 2) + "\n";
      await writeFileAtomic(this.indexFile, text, { mode: 0o600 });
      this.#snapshot = { keys: keysOf(text), checkedAt: performance.now(), mtime: -2 };
    });
    this.#writing = run.catch(() => {});
    return run;
  }
}

/** The backends and model refs an index file's text lists (none when absent or unreadable). */
function keysOf(text: string | undefined): Set<string> {
  const keys = new Set<string>();
  try {
    const index = text === undefined ? undefined : JSON.parse(text);
    if (isIndex(index)) {
      for (const model of index.models) keys.add(model.backend).add(localModelRef(model));
    }
  } catch {
    // An unreadable index has no models; `models local` and the doctor say why.
  }
  return keys;
}

/** The files of a model: the path itself, plus every part when it is a split GGUF's first part. */
function splitSiblings(path: string): string[] {
  const split = path.match(/^(.*)-00001-of-(\d{5})\.gguf$/i);
  if (!split) return [path];
  const count = Number(split[2]);
  return Array.from(
    { length: count },
    (_, i) => `${split[1]}-${String(i + 1).padStart(5, "0")}-of-${split[2]}.gguf`,
  );
}

function isIndex(value: unknown): value is IndexFile {
  if (typeof value !== "object" || value === null) return false;
  const index = value as Partial<IndexFile>;
  return Array.isArray(index.models) &&
    index.models.every((m) =>
      typeof m === "object" && m !== null && typeof m.id === "string" &&
      typeof m.path === "string" && typeof m.size === "number"
    ) &&
    (index.selected === undefined || typeof index.selected === "string");
}

/** The model reference agents use for a local model: `llamacpp/<id>` (or `mlx/<id>`). */
export function localModelRef(model: Pick<LocalModel, "id" | "backend">): string {
  return `${model.backend}/${model.id}`;
}

/** The local model a reference names, if it names one (`llamacpp/...` or `mlx/...`). */
export function parseLocalModelRef(
  ref: string | undefined,
): { backend: LocalBackend; id: string } | undefined {
  const match = ref?.match(/^(llamacpp|mlx)\/(.+)$/);
  return match ? { backend: match[1] as LocalBackend, id: match[2] } : undefined;
}
