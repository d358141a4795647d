/**
 * @module The OpenAI-compatible HTTP API: `/v1/chat/completions`, `/v1/models`,
 * `/v1/responses`, `/v1/embeddings`.
 */

import type { HttpRoute } from "../http_routes.ts";
import { chatCompletionsRoute } from "./chat_completions.ts";
import { embeddingsRoute } from "./embeddings.ts";
import { modelsRoute } from "./models.ts";
import { responsesRoute } from "./responses.ts";

export const openAiRoutes: HttpRoute[] = [
  chatCompletionsRoute,
  modelsRoute,
  responsesRoute,
  embeddingsRoute,
];
