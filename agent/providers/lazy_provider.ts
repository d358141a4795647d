/**
 * @module Providers whose code loads with their first request. A gateway configures one or two
 * wire APIs of the four it knows (OpenAI-compatible, Anthropic, Ollama, the local llama.cpp
 * runtime), and an idle one sends nothing: each API's module loads when a provider of it first
 * streams or lists models, not at start (issue 17, idle RSS). Once loaded, calls go straight to
 * the real provider.
 */

import type { ChatProvider, ProviderApi, ProviderFactory, StreamEvent } from "./types.ts";

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
      stream: (request) => real ? real.stream(request) : loadThenStream(provider, request),
      // Only OpenAI's wire API has these; whether a provider does is known before its code loads.
      ...(api === "openai"
        ? {
          completeOpenAi: (request) =>
            real
              ? real.completeOpenAi!(request)
              : provider().then((loaded) => loaded.completeOpenAi!(request)),
          streamReads: (request) =>
            real ? real.streamReads!(request) : loadThenRead(provider, request),
        }
        : {}),
      listModels: async (signal) => (await provider()).listModels?.(signal) ?? [],
      close: async () => await real?.close?.(),
    };
  };
}

async function* loadThenStream(
  provider: () => Promise<ChatProvider>,
  request: Parameters<ChatProvider["stream"]>[0],
): AsyncGenerator<StreamEvent> {
  yield* (await provider()).stream(request);
}

async function* loadThenRead(
  provider: () => Promise<ChatProvider>,
  request: Parameters<ChatProvider["stream"]>[0],
): AsyncGenerator<StreamEvent[]> {
  yield* (await provider()).streamReads!(request);
}
