/**
 * @module The provider registry: builds providers from config `models.providers`, resolves
 * `provider/model` or a bare model id to one, lists models (cached) and probes them.
 */

import type { Config } from "../../core/config/schema.ts";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import { lazyFactory } from "./lazy_provider.ts";
import {
  type ChatProvider,
  isProviderError,
  type ModelInfo,
  type ProviderApi,
  type ProviderFactory,
  type ProviderSettings,
} from "./types.ts";

// Each wire API's code loads with the first request to a provider of it (lazy_provider.ts).
const loadOpenAi = loadOnce(() =>
  importLazily<typeof import("./openai_compat.ts")>(new URL("./openai_compat.ts", import.meta.url))
);
const loadAnthropic = loadOnce(() =>
  importLazily<typeof import("./anthropic.ts")>(new URL("./anthropic.ts", import.meta.url))
);
const loadOllama = loadOnce(() =>
  importLazily<typeof import("./ollama.ts")>(new URL("./ollama.ts", import.meta.url))
);
const createOpenAiProvider = lazyFactory(
  "openai",
  async () => (await loadOpenAi()).createOpenAiProvider,
);
const createAnthropicProvider = lazyFactory(
  "anthropic",
  async () => (await loadAnthropic()).createAnthropicProvider,
);
// Ollama speaks the OpenAI wire API, with its own model list.
const createOllamaProvider = lazyFactory(
  "openai",
  async () => (await loadOllama()).createOllamaProvider,
);

/** Default base URLs of the providers pyclaw knows by name. */
export const DEFAULT_BASE_URLS: Readonly<Record<string, string>> = {
  openai: "https://api.openai.com/v1",
  anthropic: "https://api.anthropic.com/v1",
  ollama: "http://localhost:11434/v1",
  deepseek: "https://api.deepseek.com/v1",
  qwen: "https://dashscope.aliyuncs.com/compatible-mode/v1",
  moonshot: "https://api.moonshot.cn/v1",
  groq: "https://api.groq.com/openai/v1",
  openrouter: "https://openrouter.ai/api/v1",
};

/** Environment variables that hold a known provider's key when the config has none. */
const KEY_ENV: Readonly<Record<string, string>> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  deepseek: "DEEPSEEK_API_KEY",
  qwen: "DASHSCOPE_API_KEY",
  moonshot: "MOONSHOT_API_KEY",
  groq: "GROQ_API_KEY",
  openrouter: "OPENROUTER_API_KEY",
};

/** Bare model ids whose owner is plain from the name. */
const OWNER_BY_PREFIX: [RegExp, string][] = [
  [/^claude/i, "anthropic"],
  [/^(gpt-|o\d|chatgpt|text-embedding|dall-e)/i, "openai"],
  [/^deepseek/i, "deepseek"],
  [/^qwen/i, "qwen"],
  [/^(moonshot|kimi)/i, "moonshot"],
];

const DEFAULT_TIMEOUT_MS = 120_000;
const LIST_DEADLINE_MS = 2_500;
const LIST_TTL_MS = 5 * 60_000;
const LIST_FAILURE_TTL_MS = 30_000;

type ModelEntry = NonNullable<Config["models"]["providers"][string]["models"]>[number];

/** A model reference resolved to the provider that serves it. */
export interface ResolvedModel {
  provider: ChatProvider;
  providerId: string;
  /** The model id as the provider knows it. */
  model: string;
  /** The model's entry in config (price, vision, limits), when it has one. */
  entry?: ModelEntry;
}

/** Options of {@linkcode ProviderRegistry}. */
export interface ProviderRegistryOptions {
  /** The config in force now; providers are rebuilt when their section changes. */
  config(): Config;
  /** The gateway's environment, for `OPENAI_API_KEY` and friends. @default {} */
  env?: Record<string, string | undefined>;
}

/** Builds, caches and resolves providers. */
export class ProviderRegistry {
  #options: ProviderRegistryOptions;
  #factories = new Map<ProviderApi, ProviderFactory>([
    ["openai", createOpenAiProvider],
    ["anthropic", createAnthropicProvider],
  ]);
  /** Providers that need no config entry while `active()` holds (local models once downloaded). */
  #implicit = new Map<string, { active: () => boolean; serves?: (model: string) => boolean }>();
  /** Factories for one provider id, winning over its wire API's (ollama's own model list). */
  #byId = new Map<string, ProviderFactory>([["ollama", createOllamaProvider]]);
  #built = new Map<string, { key: string; provider: ChatProvider }>();
  #lists = new Map<string, { at: number; ttl: number; models: ModelInfo[] }>();
  #resolutionCache:
    | { config: Config; present: string; byModel: Map<string, ResolvedModel> }
    | undefined;

  constructor(options: ProviderRegistryOptions) {
    this.#options = options;
  }

  /** Adds a wire API (the local llama.cpp provider registers itself here). */
  registerApi(api: ProviderApi, factory: ProviderFactory): void {
    this.#factories.set(api, factory);
    for (const [id, built] of this.#built) {
      if (built.provider.api === api) this.#drop(id);
    }
  }

  /**
   * Makes provider `id` usable without a config entry whenever `active()` is true; `serves`
   * (synchronous) lets a bare model id resolve to it.
   */
  registerImplicit(
    id: string,
    active: () => boolean,
    serves?: (model: string) => boolean,
  ): void {
    this.#implicit.set(id, { active, serves });
  }

  /** Builds provider `id` with `factory` instead of its wire API's factory. */
  registerProvider(id: string, factory: ProviderFactory): void {
    this.#byId.set(id, factory);
    this.#drop(id);
  }

  #isImplicit(id: string): boolean {
    try {
      return this.#implicit.get(id)?.active() ?? false;
    } catch {
      return false;
    }
  }

  /** Provider ids usable now: configured ones, plus known ones whose key is in the env. */
  providerIds(): string[] {
    const ids = new Set(Object.keys(this.#options.config().models.providers));
    for (const id of this.#implicit.keys()) {
      if (this.#isImplicit(id)) ids.add(id);
    }
    for (const [id, variable] of Object.entries(KEY_ENV)) {
      if (this.#options.env?.[variable]) ids.add(id);
    }
    return [...ids];
  }

  /** The settings of provider `id`, defaults filled in, or `undefined` when unknown. */
  settings(id: string): ProviderSettings | undefined {
    const configured = this.#options.config().models.providers[id];
    const envKey = KEY_ENV[id] ? this.#options.env?.[KEY_ENV[id]] : undefined;
    if (!configured && !envKey && !this.#isImplicit(id)) return undefined;
    const api: ProviderApi = configured?.api ??
      (id === "anthropic"
        ? "anthropic"
        : id === "llamacpp" || id === "local"
        ? "llamacpp"
        : "openai");
    return {
      id,
      api,
      baseUrl: configured?.baseUrl ?? DEFAULT_BASE_URLS[id] ??
        (api === "anthropic" ? DEFAULT_BASE_URLS.anthropic : ""),
      apiKey: configured?.apiKey || envKey,
      headers: configured?.headers,
      timeoutMs: configured?.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
  }

  /**
   * The provider `id`.
   *
   * @throws {GatewayError} NOT_FOUND for an unknown provider, INVALID_PARAMS for one without a
   * base URL or whose wire API is not available
   */
  get(id: string): ChatProvider {
    const settings = this.settings(id);
    if (!settings) throw new GatewayError(ErrorCode.NOT_FOUND, `Unknown provider: ${id}`);
    const key = JSON.stringify(settings);
    const built = this.#built.get(id);
    if (built?.key === key) return built.provider;
    if (built) this.#drop(id);
    if (!settings.baseUrl && settings.api !== "llamacpp") {
      throw new GatewayError(
        ErrorCode.INVALID_PARAMS,
        `Provider ${id} has no baseUrl: set models.providers.${id}.baseUrl`,
      );
    }
    const factory = this.#byId.get(id) ?? this.#factories.get(settings.api);
    if (!factory) {
      throw new GatewayError(
        ErrorCode.INVALID_PARAMS,
        `Provider API ${settings.api} is not available`,
      );
    }
    const provider = factory(settings);
    this.#built.set(id, { key, provider });
    return provider;
  }

  /**
   * Resolves a model reference: `provider/model`, a bare id listed under a provider, a bare id
   * whose owner is plain from its name, or any id when only one provider is configured.
   *
   * @param provider an explicit provider id, which wins over any prefix
   * @throws {GatewayError} NOT_FOUND when no provider serves the model
   */
  resolve(model: string, provider?: string): ResolvedModel {
    if (provider) {
      const bare = model.startsWith(`${provider}/`) ? model.slice(provider.length + 1) : model;
      return this.#resolved(provider, bare);
    }
    const cache = this.#resolutions();
    const cached = cache.get(model);
    if (cached) return cached;
    const ids = this.providerIds();
    const slash = model.indexOf("/");
    if (slash > 0 && ids.includes(model.slice(0, slash))) {
      return remember(cache, model, this.#resolved(model.slice(0, slash), model.slice(slash + 1)));
    }
    const config = this.#options.config().models.providers;
    for (const id of ids) {
      if (config[id]?.models?.some((entry) => entry.id === model)) {
        return remember(cache, model, this.#resolved(id, model));
      }
    }
    for (const [id, implicit] of this.#implicit) {
      if (ids.includes(id) && implicit.serves?.(model)) return this.#resolved(id, model);
    }
    for (const [id, list] of this.#lists) {
      if (ids.includes(id) && list.models.some((entry) => entry.id === model)) {
        return this.#resolved(id, model);
      }
    }
    // `anthropic/claude-x` names a provider; when that provider is not set up, sending the prompt
    // to whichever one is (as a model called "anthropic/claude-x") is not what the user chose.
    const prefix = slash > 0 ? model.slice(0, slash) : "";
    if (prefix && !ids.includes(prefix) && this.#isKnownProvider(prefix)) {
      const hint = KEY_ENV[prefix] ? ` (or set ${KEY_ENV[prefix]})` : "";
      throw new GatewayError(
        ErrorCode.NOT_FOUND,
        `Provider ${prefix} is not configured, so model ${model} cannot be used: add ` +
          `models.providers.${prefix}${hint}, or write <provider>/${model} to send it through a ` +
          `configured provider`,
      );
    }
    for (const [pattern, owner] of OWNER_BY_PREFIX) {
      if (!pattern.test(model)) continue;
      if (ids.includes(owner)) return this.#resolved(owner, model);
      const sameApi = ids.filter((id) => this.settings(id)?.api === owner);
      if (owner === "anthropic" && sameApi.length === 1) return this.#resolved(sameApi[0], model);
    }
    // Downloading a local model must not take away "the only configured provider serves all".
    const configured = ids.filter((id) =>
      !this.#implicit.has(id) || this.#options.config().models.providers[id]
    );
    if (configured.length === 1) return this.#resolved(configured[0], model);
    throw new GatewayError(
      ErrorCode.NOT_FOUND,
      ids.length
        ? `Unknown model: ${model} (write provider/model, one of: ${ids.join(", ")})`
        : `Unknown model: ${model} (no provider is configured under models.providers)`,
    );
  }

  /**
   * Resolutions by `provider/model` prefix or config entry, which depend only on the config and
   * on which local providers are present: kept while both stay the same (every `/v1` request
   * and turn resolves its model). The later rules (local store, listed models, owner by name,
   * the only provider) look at state that changes on its own and are worked out each time.
   */
  #resolutions(): Map<string, ResolvedModel> {
    const config = this.#options.config();
    let present = "";
    for (const id of this.#implicit.keys()) if (this.#isImplicit(id)) present += `${id}\n`;
    const cache = this.#resolutionCache;
    if (cache?.config !== config || cache.present !== present) {
      this.#resolutionCache = { config, present, byModel: new Map() };
    }
    return this.#resolutionCache!.byModel;
  }

  /** A provider pyclaw knows by name (defaults, key variable, or a registered local one). */
  #isKnownProvider(id: string): boolean {
    return Object.hasOwn(DEFAULT_BASE_URLS, id) || Object.hasOwn(KEY_ENV, id) ||
      this.#implicit.has(id) || this.#byId.has(id) || id === "llamacpp" || id === "local";
  }

  #resolved(providerId: string, model: string): ResolvedModel {
    const provider = this.get(providerId);
    const entry = this.#options.config().models.providers[providerId]?.models?.find((m) =>
      m.id === model
    );
    return { provider, providerId, model, ...(entry ? { entry } : {}) };
  }

  /**
   * Every model: config entries first, then each provider's own list where it answers within
   * a short deadline (cached for a few minutes; a failure is remembered briefly).
   */
  async listModels(options: { refresh?: boolean } = {}): Promise<ModelInfo[]> {
    const config = this.#options.config().models.providers;
    const models: ModelInfo[] = [];
    const seen = new Set<string>();
    const add = (model: ModelInfo) => {
      const key = `${model.provider}/${model.id}`;
      if (seen.has(key)) return;
      seen.add(key);
      models.push(model);
    };
    const ids = this.providerIds();
    for (const id of ids) {
      for (const entry of config[id]?.models ?? []) {
        add({
          id: entry.id,
          provider: id,
          ...(entry.name ? { name: entry.name } : {}),
          ...(entry.contextWindow ? { contextWindow: entry.contextWindow } : {}),
          ...(entry.maxTokens ? { maxTokens: entry.maxTokens } : {}),
          ...(entry.vision !== undefined ? { vision: entry.vision } : {}),
          source: "config",
        });
      }
    }
    const lists = await Promise.all(ids.map((id) => this.#providerList(id, options.refresh)));
    for (const list of lists) list.forEach(add);
    return models;
  }

  async #providerList(id: string, refresh = false): Promise<ModelInfo[]> {
    const cached = this.#lists.get(id);
    // The local store is read from disk in microseconds; caching it would hide a fresh download.
    const local = this.settings(id)?.api === "llamacpp";
    if (!refresh && !local && cached && Date.now() - cached.at < cached.ttl) return cached.models;
    let provider: ChatProvider;
    try {
      provider = this.get(id);
    } catch {
      return [];
    }
    if (!provider.listModels) return [];
    try {
      const models = await provider.listModels(AbortSignal.timeout(LIST_DEADLINE_MS));
      this.#lists.set(id, { at: Date.now(), ttl: LIST_TTL_MS, models });
      return models;
    } catch {
      this.#lists.set(id, { at: Date.now(), ttl: LIST_FAILURE_TTL_MS, models: [] });
      return [];
    }
  }

  /**
   * Probes a model with a minimal real call (one token).
   *
   * @returns `available` and the time to the first answer in ms; `error` says why not
   */
  async probe(
    model: string,
    provider?: string,
    timeoutMs = 15_000,
  ): Promise<
    { available: boolean; latency: number; provider: string; model: string; error?: string }
  > {
    const resolved = this.resolve(model, provider);
    const started = performance.now();
    try {
      const stream = resolved.provider.stream({
        model: resolved.model,
        messages: [{ role: "user", content: "ping" }],
        maxTokens: 1,
        signal: AbortSignal.timeout(timeoutMs),
      });
      // The first event proves the model answers; the rest is not needed.
      for await (const _event of stream) break;
      return {
        available: true,
        latency: Math.round(performance.now() - started),
        provider: resolved.providerId,
        model: resolved.model,
      };
    } catch (error) {
      return {
        available: false,
        latency: Math.round(performance.now() - started),
        provider: resolved.providerId,
        model: resolved.model,
        error: isProviderError(error) || error instanceof Error ? error.message : String(error),
      };
    }
  }

  #drop(id: string): void {
    this.#resolutionCache = undefined;
    const built = this.#built.get(id);
    this.#built.delete(id);
    this.#lists.delete(id);
    built?.provider.close?.().catch(() => {});
  }

  /** Releases every built provider. */
  async close(): Promise<void> {
    this.#resolutionCache = undefined;
    const providers = [...this.#built.values()].map((built) => built.provider);
    this.#built.clear();
    await Promise.all(providers.map((provider) => provider.close?.().catch(() => {})));
  }
}

/** Most models a registry remembers the resolution of (a client may name any number). */
const RESOLUTIONS_KEPT = 256;

function remember(
  cache: Map<string, ResolvedModel>,
  model: string,
  resolved: ResolvedModel,
): ResolvedModel {
  if (cache.size >= RESOLUTIONS_KEPT) cache.clear();
  cache.set(model, resolved);
  return resolved;
}
