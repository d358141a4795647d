/**
 * @module The loaded local model: node-llama-cpp imported on first use, one model with one
 * context sequence kept loaded between requests (one generation at a time), and unloaded after
 * `models.local.idleUnloadMs` without use.
 */

import type {
  ChatWrapper,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
} from "node-llama-cpp";
import { ProviderError } from "./types.ts";

/** Runtime settings from config `models.local`. */
export interface LocalRuntimeSettings {
  /** Tokens of context. @default the model's training context, at most 4096 */
  contextSize?: number;
  /** Threads for evaluation, passed explicitly (the library's default was far slower on small machines). */
  threads?: number;
  /** Layers offloaded to a GPU; `0` keeps everything on the CPU. @default "auto" */
  gpuLayers?: number | "auto";
  idleUnloadMs: number;
}

/** What a generation holds while it runs. */
export interface LoadedModel {
  id: string;
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  /**
   * The chat wrapper resolved from the GGUF's template at first use, kept because resolving it
   * (Jinja analysis) cost ~120 ms per request.
   */
  chatWrapper?: ChatWrapper;
}

/** Default evaluation threads: half the cores (at least 1, at most 8). */
export function defaultThreads(): number {
  return Math.max(1, Math.min(8, Math.floor((navigator.hardwareConcurrency || 2) / 2)));
}

/** Owns node-llama-cpp's state for one provider. */
export class LocalRuntime {
  #provider: string;
  #settings: () => LocalRuntimeSettings;
  #llama: Promise<Llama> | undefined;
  #loaded: Promise<LoadedModel> | undefined;
  #loadedPath: string | undefined;
  #queue: Promise<void> = Promise.resolve();
  #idle: ReturnType<typeof setTimeout> | undefined;
  #busy = 0;

  constructor(provider: string, settings: () => LocalRuntimeSettings) {
    this.#provider = provider;
    this.#settings = settings;
  }

  /** True while a model is in memory. */
  get isLoaded(): boolean {
    return this.#loaded !== undefined;
  }

  /**
   * Runs `work` with the model at `path` loaded, after any generation already running.
   *
   * @throws {ProviderError} `aborted` when `signal` fires while waiting
   */
  async use<T>(
    id: string,
    path: string,
    signal: AbortSignal | undefined,
    work: (loaded: LoadedModel) => Promise<T>,
  ): Promise<T> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise((resolve) => (release = resolve));
    this.#busy++;
    clearTimeout(this.#idle);
    try {
      await previous;
      if (signal?.aborted) throw new ProviderError("aborted", this.#provider, "Aborted");
      if (this.#loadedPath !== path) await this.unload();
      if (!this.#loaded) {
        this.#loadedPath = path;
        this.#loaded = this.#load(id, path);
        this.#loaded.catch(() => {
          this.#loaded = undefined;
          this.#loadedPath = undefined;
        });
      }
      return await work(await this.#loaded);
    } finally {
      this.#busy--;
      release();
      if (this.#busy === 0) this.#armIdleTimer();
    }
  }

  #armIdleTimer(): void {
    clearTimeout(this.#idle);
    if (!this.#loaded) return;
    this.#idle = setTimeout(() => {
      if (this.#busy === 0) this.unload().catch(() => {});
    }, this.#settings().idleUnloadMs);
    // An idle model must not keep the process alive.
    Deno.unrefTimer(this.#idle as unknown as number);
  }

  async #library(): Promise<Llama> {
    this.#llama ??= (async () => {
      let lib: typeof import("node-llama-cpp");
      try {
        lib = await import("node-llama-cpp");
      } catch (error) {
        throw new ProviderError(
          "unreachable",
          this.#provider,
          `node-llama-cpp is not available (${(error as Error).message}); ` +
            "install it with: npm install --save-exact node-llama-cpp@3.21.1",
        );
      }
      const settings = this.#settings();
      return await lib.getLlama({
        gpu: settings.gpuLayers === 0 ? false : "auto",
        // Never compile llama.cpp inside the gateway; prebuilt binaries ship with the package.
        build: "never",
        logLevel: lib.LlamaLogLevel.error,
        maxThreads: settings.threads ?? defaultThreads(),
      });
    })();
    this.#llama.catch(() => (this.#llama = undefined));
    return await this.#llama;
  }

  async #load(id: string, path: string): Promise<LoadedModel> {
    const llama = await this.#library();
    const settings = this.#settings();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: path, gpuLayers: settings.gpuLayers ?? "auto" });
    } catch (error) {
      throw new ProviderError(
        "upstream",
        this.#provider,
        `Cannot load local model ${id} from ${path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    try {
      const trained = model.trainContextSize;
      const context = await model.createContext({
        contextSize: settings.contextSize ?? Math.min(trained || 4096, 4096),
        threads: settings.threads ?? defaultThreads(),
      });
      return { id, model, context, sequence: context.getSequence() };
    } catch (error) {
      await model.dispose();
      throw new ProviderError(
        "upstream",
        this.#provider,
        `Cannot create a context for ${id}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Frees the loaded model (it loads again on the next request). */
  async unload(): Promise<void> {
    clearTimeout(this.#idle);
    const loaded = this.#loaded;
    this.#loaded = undefined;
    this.#loadedPath = undefined;
    if (!loaded) return;
    const { context, model } = await loaded.catch(() => ({ context: undefined, model: undefined }));
    await context?.dispose();
    await model?.dispose();
  }

  /** Frees everything, the library included. */
  async close(): Promise<void> {
    await this.unload();
    const llama = this.#llama;
    this.#llama = undefined;
    await (await llama?.catch(() => undefined))?.dispose();
  }
}
