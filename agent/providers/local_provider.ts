/**
 * @module Registers the local llama.cpp provider with the provider registry without loading it:
 * the provider (with its chat-history and runtime code) loads with its first request, so a
 * gateway with no local model in use keeps none of it in memory (issue 17, idle RSS).
 */

import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import type { LocalModelStore } from "../models/model_store.ts";
import type { LocalRuntimeSettings } from "./_llama_runtime.ts";
import { lazyFactory } from "./lazy_provider.ts";
import type { ProviderFactory } from "./types.ts";

const loadLlamaCpp = loadOnce(() =>
  importLazily<typeof import("./llamacpp.ts")>(new URL("./llamacpp.ts", import.meta.url))
);

/** Options for {@linkcode registerLocalProvider}. */
export interface RegisterLocalOptions {
  store: LocalModelStore;
  /** Config `models.local`. */
  settings: () => LocalRuntimeSettings;
  /** Provider id local models are served under. @default "llamacpp" */
  id?: string;
}

/** The slice of the provider registry local models plug into. */
export interface LocalProviderHost {
  registerApi(api: "llamacpp", factory: ProviderFactory): void;
  registerImplicit(id: string, active: () => boolean, serves?: (model: string) => boolean): void;
}

/**
 * Serves the store's GGUF models as provider `llamacpp` (`llamacpp/<model id>`), present without
 * any config entry as soon as one model is downloaded.
 */
export function registerLocalProvider(
  host: LocalProviderHost,
  options: RegisterLocalOptions,
): void {
  host.registerApi(
    "llamacpp",
    lazyFactory("llamacpp", async () => (await loadLlamaCpp()).llamaCppFactory(options)),
  );
  host.registerImplicit(
    options.id ?? "llamacpp",
    () => options.store.hasModelsSync("llamacpp"),
    (model) => options.store.hasModelSync(model, "llamacpp"),
  );
}
