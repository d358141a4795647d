/**
 * @module Ollama: chat through its OpenAI-compatible API (`.../v1`), models listed from its own
 * API (`GET /api/tags`), which names every pulled model with its size and quantization.
 */

import { joinUrl, upstreamFetch } from "./_http.ts";
import { createOpenAiProvider } from "./openai_compat.ts";
import {
  type ChatProvider,
  type ModelInfo,
  ProviderError,
  type ProviderSettings,
} from "./types.ts";

/** Ollama's native API root: the OpenAI-compatible base URL without its `/v1`. */
export function ollamaRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

interface OllamaTag {
  name?: unknown;
  model?: unknown;
  size?: unknown;
  details?: { parameter_size?: unknown; quantization_level?: unknown; family?: unknown };
}

/** Builds the ollama provider (config `models.providers.ollama`; default `http://localhost:11434/v1`). */
export function createOllamaProvider(settings: ProviderSettings): ChatProvider {
  const chat = createOpenAiProvider(settings);
  return {
    ...chat,
    async listModels(signal?: AbortSignal): Promise<ModelInfo[]> {
      const call = await upstreamFetch({
        provider: settings.id,
        url: joinUrl(ollamaRoot(settings.baseUrl), "api/tags"),
        headers: { accept: "application/json", ...settings.headers },
        body: undefined,
        method: "GET",
        timeoutMs: settings.timeoutMs,
        signal,
      });
      try {
        const body = await call.response.json() as { models?: OllamaTag[] };
        return (body.models ?? [])
          .filter((tag) => typeof tag.name === "string")
          .map((tag) => {
            const details = [tag.details?.parameter_size, tag.details?.quantization_level]
              .filter((part) => typeof part === "string" && part);
            return {
              id: tag.name as string,
              provider: settings.id,
              name: details.length ? `${tag.name} (${details.join(", ")})` : tag.name as string,
              source: "provider" as const,
            };
          });
      } catch (error) {
        throw error instanceof ProviderError ? error : new ProviderError(
          "upstream",
          settings.id,
          `Ollama at ${ollamaRoot(settings.baseUrl)} sent an unreadable model list`,
          { cause: error },
        );
      } finally {
        call.done();
      }
    },
  };
}
