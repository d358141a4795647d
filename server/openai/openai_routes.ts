/**
 * @module The OpenAI-compatible HTTP API: `/v1/chat/completions`, `/v1/models` and
 * `/v1/models/{id}`, `/v1/responses`, `/v1/embeddings`. Each route's module (its request
 * schemas, the stream translation) loads on its first request, not at start; a test keeps the
 * method, path and auth written here equal to the module's own route.
 */

import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import type { HttpContext, HttpRoute } from "../http_routes.ts";

/** A route whose handler module is imported on the first request, then called directly. */
function lazyRoute(
  declared: Omit<HttpRoute, "handle">,
  load: () => Promise<HttpRoute>,
): HttpRoute {
  const route = loadOnce(load);
  let loaded: HttpRoute | undefined; // once loaded, a request skips the promise
  return {
    ...declared,
    handle(request: Request, ctx: HttpContext, match: RegExpMatchArray | null) {
      if (loaded) return loaded.handle(request, ctx, match);
      return route().then((ready) => (loaded = ready).handle(request, ctx, match));
    },
  };
}

/** The module of both `/v1/models` routes, loaded once for either. */
const modelsModule = loadOnce(() =>
  importLazily<typeof import("./models.ts")>(new URL("./models.ts", import.meta.url))
);

export const openAiRoutes: HttpRoute[] = [
  lazyRoute(
    { method: "POST", path: "/v1/chat/completions", auth: true },
    async () =>
      (await importLazily<typeof import("./chat_completions.ts")>(
        new URL("./chat_completions.ts", import.meta.url),
      ))
        .chatCompletionsRoute,
  ),
  lazyRoute(
    { method: "GET", path: "/v1/models", auth: true },
    async () => (await modelsModule()).modelsRoute,
  ),
  lazyRoute(
    { method: "GET", path: /^\/v1\/models\/(.+)$/, auth: true },
    async () => (await modelsModule()).modelRoute,
  ),
  lazyRoute(
    { method: "POST", path: "/v1/responses", auth: true },
    async () =>
      (await importLazily<typeof import("./responses.ts")>(
        new URL("./responses.ts", import.meta.url),
      ))
        .responsesRoute,
  ),
  lazyRoute(
    { method: "POST", path: "/v1/embeddings", auth: true },
    async () =>
      (await importLazily<typeof import("./embeddings.ts")>(
        new URL("./embeddings.ts", import.meta.url),
      ))
        .embeddingsRoute,
  ),
];
