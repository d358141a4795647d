/**
 * @module Providers whose code loads with their first request. A gateway configures one or two
 * wire APIs of the four it knows (OpenAI-compatible, Anthropic, Ollama, the local llama.cpp
 * runtime), and an idle one sends nothing: each API's module loads when a provider of it first
 * streams or lists models, not at start (issue 17, idle RSS). Once loaded, calls go straight to
 * the real provider.
 */

import type { ChatProvider, ProviderApi, ProviderFactory } from "./types.ts";

/**
 * A factory that builds providers of wire API `api` whose real factory `load` returns on the
 * first request (share one `loadOnce` per module). Building one loads nothing.
 */
export function lazyFactory(
  api: ProviderApi,
  load: () => Promise<ProviderFactory>,
): ProviderFactory {
  return (settings) => {
    let real: ChatProvider | undefined;
    const provider = async () => real ??= (await load())(settings);
    return {
      id: settings.id,
      api,
      stream: (request) =>
        real ? real.stream(request) : loadThen(provider, (loaded) => loaded.stream(request)),
      // Only OpenAI's wire API has these; whether a provider does is known before its code loads.
      ...(api === "openai"
        ? {
          completeOpenAi: (request) =>
            real
              ? real.completeOpenAi!(request)
              : provider().then((loaded) => loaded.completeOpenAi!(request)),
          streamReads: (request) =>
            real
              ? real.streamReads!(request)
              : loadThen(provider, (loaded) => loaded.streamReads!(request)),
        }
        : {}),
      listModels: async (signal) => (await provider()).listModels?.(signal) ?? [],
      close: async () => await real?.close?.(),
    };
  };
}

/** What `open` streams of the provider, once it has loaded. */
async function* loadThen<T>(
  provider: () => Promise<ChatProvider>,
  open: (loaded: ChatProvider) => AsyncIterable<T>,
): AsyncGenerator<T> {
  yield* open(await provider());
}
