/**
 * @module Embedding models for memory search and `/v1/embeddings`: any OpenAI-compatible
 * `/embeddings` endpoint, or a local GGUF through node-llama-cpp (imported on first use).
 * Vectors come back L2-normalised, so a dot product is their cosine.
 */

import type { Config } from "../../core/config/schema.ts";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import type { LocalModelStore } from "../models/model_store.ts";
import { readJson, upstreamFetch } from "../providers/_http.ts";
import type { ProviderRegistry } from "../providers/registry.ts";
import { ProviderError } from "../providers/types.ts";
import { defaultThreads } from "../providers/_llama_runtime.ts";
import type { LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";

/** Turns texts into vectors. */
export interface Embedder {
  /** `openai`, a `models.providers` id, or `local`. */
  readonly provider: string;
  readonly model: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
  close(): Promise<void>;
}

type MemorySearchSettings = Config["agents"]["defaults"]["memorySearch"];

/** What building an embedder needs from the gateway. */
export interface EmbedderDeps {
  providers: ProviderRegistry;
  localModels: LocalModelStore;
  localSettings(): Config["models"]["local"];
}

/** The default model of OpenAI's embeddings API. */
const OPENAI_DEFAULT_MODEL = "text-embedding-3-small";
/** Inputs per remote request (OpenAI accepts up to 2048). */
const REMOTE_BATCH = 64;

/**
 * The embedder `memorySearch` names, or `undefined` for full-text search only.
 *
 * @throws {GatewayError} INVALID_PARAMS for a provider that is not configured or lacks a model
 */
export function createEmbedder(
  settings: MemorySearchSettings,
  deps: EmbedderDeps,
): Embedder | undefined {
  const provider = settings.provider;
  if (!provider || provider === "none") return undefined;
  if (provider === "local") {
    const path = settings.local?.modelPath ??
      (settings.model && deps.localModels.hasModelSync(settings.model, "llamacpp")
        ? deps.localModels.pathFor(settings.model)
        : undefined);
    if (!path) {
      throw new GatewayError(
        ErrorCode.INVALID_PARAMS,
        "memorySearch.provider local needs memorySearch.model (a downloaded model id) or local.modelPath",
      );
    }
    return new LocalEmbedder(settings.model ?? path, path, deps.localSettings);
  }
  const base = deps.providers.settings(provider);
  const baseUrl = settings.remote?.baseUrl ?? base?.baseUrl;
  if (!baseUrl) {
    throw new GatewayError(
      ErrorCode.INVALID_PARAMS,
      `Embedding provider ${provider} is not configured: set models.providers.${provider} or memorySearch.remote.baseUrl`,
    );
  }
  const model = settings.model ?? (provider === "openai" ? OPENAI_DEFAULT_MODEL : undefined);
  if (!model) {
    throw new GatewayError(
      ErrorCode.INVALID_PARAMS,
      `memorySearch.model is required for embedding provider ${provider}`,
    );
  }
  return remoteEmbedder(provider, model, {
    baseUrl,
    apiKey: settings.remote?.apiKey ?? base?.apiKey,
    headers: { ...base?.headers, ...settings.remote?.headers },
    timeoutMs: base?.timeoutMs ?? 60_000,
  });
}

/**
 * The embedder `/v1/embeddings` names with `model`: the memory search model (by its name, or as
 * `provider/model`), a downloaded GGUF (`llamacpp/<id>` or `local/<id>`), or a model of any
 * OpenAI-compatible `models.providers` entry (`provider/model`).
 *
 * @throws {GatewayError} NOT_FOUND for a model none of these serves
 */
export function embedderForModel(
  model: string,
  settings: MemorySearchSettings,
  deps: EmbedderDeps,
): Embedder {
  const slash = model.indexOf("/");
  const [provider, name] = slash > 0
    ? [model.slice(0, slash), model.slice(slash + 1)]
    : ["", model];
  const notFound = () =>
    new GatewayError(ErrorCode.NOT_FOUND, `Embedding model not found: ${model}`);
  if (provider === "llamacpp" || provider === "local") {
    if (!deps.localModels.hasModelSync(name, "llamacpp")) throw notFound();
    return createEmbedder({ ...settings, provider: "local", model: name, local: undefined }, deps)!;
  }
  const configured = settings.provider && settings.provider !== "local" ? settings.provider : "";
  if (!provider) {
    // A bare name is the memory search model's, served by its provider.
    if (
      !settings.provider ||
      name !== (settings.model ?? (configured === "openai" ? OPENAI_DEFAULT_MODEL : undefined))
    ) {
      throw notFound();
    }
    return createEmbedder(settings, deps)!;
  }
  const remote = provider === configured ? settings.remote : undefined;
  const base = deps.providers.settings(provider);
  if (!remote?.baseUrl && (!base || base.api !== "openai" || !base.baseUrl)) throw notFound();
  return createEmbedder({ ...settings, provider, model: name, remote, local: undefined }, deps)!;
}

interface RemoteSettings {
  baseUrl: string;
  apiKey?: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

function remoteEmbedder(provider: string, model: string, remote: RemoteSettings): Embedder {
  const embedBatch = async (input: readonly string[], signal?: AbortSignal) => {
    const call = await upstreamFetch({
      provider,
      url: `${remote.baseUrl.replace(/\/+$/, "")}/embeddings`,
      headers: {
        "content-type": "application/json",
        ...(remote.apiKey ? { authorization: `Bearer ${remote.apiKey}` } : {}),
        ...remote.headers,
      },
      body: { model, input },
      timeoutMs: remote.timeoutMs,
      signal,
      model,
    });
    const body = await readJson<{ data?: { index?: number; embedding?: number[] }[] }>(call);
    const data = [...(body.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    if (data.length !== input.length || data.some((item) => !Array.isArray(item.embedding))) {
      throw new ProviderError(
        "upstream",
        provider,
        `Embedding provider ${provider} answered ${data.length} embeddings for ${input.length} inputs`,
      );
    }
    return data.map((item) => normalize(Float32Array.from(item.embedding!)));
  };
  return {
    provider,
    model,
    async embed(texts, signal) {
      const vectors: Float32Array[] = [];
      for (let at = 0; at < texts.length; at += REMOTE_BATCH) {
        vectors.push(...await embedBatch(texts.slice(at, at + REMOTE_BATCH), signal));
      }
      return vectors;
    },
    close: () => Promise.resolve(),
  };
}

/** A GGUF embedding model, loaded on first use and kept loaded. */
class LocalEmbedder implements Embedder {
  readonly provider = "local";
  readonly model: string;
  #path: string;
  #settings: () => Config["models"]["local"];
  #loaded:
    | Promise<{ model: LlamaModel; context: LlamaEmbeddingContext; maxTokens: number }>
    | undefined;

  constructor(model: string, path: string, settings: () => Config["models"]["local"]) {
    this.model = model;
    this.#path = path;
    this.#settings = settings;
  }

  #load() {
    this.#loaded ??= (async () => {
      let lib: typeof import("node-llama-cpp");
      try {
        lib = await import("node-llama-cpp");
      } catch (error) {
        throw new ProviderError(
          "unreachable",
          "local",
          `node-llama-cpp is not available (${(error as Error).message})`,
        );
      }
      const settings = this.#settings();
      const threads = settings.threads ?? defaultThreads();
      const llama = await lib.getLlama({
        gpu: settings.gpuLayers === 0 ? false : "auto",
        build: "never",
        logLevel: lib.LlamaLogLevel.error,
        maxThreads: threads,
      });
      const model = await llama.loadModel({ modelPath: this.#path });
      const contextSize = Math.min(model.trainContextSize || 2_048, 2_048);
      const context = await model.createEmbeddingContext({ threads, contextSize });
      // Room for the tokens the model adds around the input (BOS, EOS).
      return { model, context, maxTokens: Math.max(1, contextSize - 4) };
    })();
    this.#loaded.catch(() => (this.#loaded = undefined));
    return this.#loaded;
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const { model, context, maxTokens } = await this.#load();
    const vectors: Float32Array[] = [];
    for (const text of texts) {
      signal?.throwIfAborted();
      let embedding;
      try {
        // A text longer than the context is embedded by its beginning, as remote APIs truncate.
        embedding = await context.getEmbeddingFor(model.tokenize(text).slice(0, maxTokens));
      } catch (error) {
        // Too long for the model's context, most often: the caller's input, not a crash.
        throw new ProviderError(
          "upstream",
          "local",
          `Local embedding failed: ${(error as Error).message}`,
          {
            cause: error,
          },
        );
      }
      vectors.push(normalize(Float32Array.from(embedding.vector)));
    }
    return vectors;
  }

  async close(): Promise<void> {
    const loaded = await this.#loaded?.catch(() => undefined);
    this.#loaded = undefined;
    await loaded?.context.dispose();
    await loaded?.model.dispose();
  }
}

/** Scales a vector to length 1 (a zero vector stays zero). */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  const norm = Math.sqrt(sum);
  if (norm > 0) { for (let i = 0; i < vector.length; i++) vector[i] /= norm; }
  return vector;
}
