import { assertEquals } from "../../_helpers/assert.ts";
import { openAiRoutes } from "../../../server/openai/openai_routes.ts";
import { chatCompletionsRoute } from "../../../server/openai/chat_completions.ts";
import { embeddingsRoute } from "../../../server/openai/embeddings.ts";
import { modelRoute, modelsRoute } from "../../../server/openai/models.ts";
import { responsesRoute } from "../../../server/openai/responses.ts";
import type { HttpRoute } from "../../../server/http_routes.ts";

const declared = ({ method, path, auth }: HttpRoute) => ({ method, path, auth });

Deno.test("the OpenAI routes served before their modules load declare what the modules do", () => {
  assertEquals(
    openAiRoutes.map(declared),
    [chatCompletionsRoute, modelsRoute, modelRoute, responsesRoute, embeddingsRoute].map(declared),
  );
});
