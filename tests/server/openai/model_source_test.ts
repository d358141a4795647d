/**
 * @module server/openai/_model_source.ts on its own: what reaches the usage store from `/v1`
 * calls, with the provider and the store stood in.
 */

import { assertEquals } from "../../_helpers/assert.ts";
import type { ChatProvider } from "../../../agent/providers/types.ts";
import type { HttpContext } from "../../../server/http_routes.ts";
import { providerCompletion } from "../../../server/openai/_model_source.ts";

Deno.test("a usage batch that fails is reported once, however many /v1 calls it holds", async () => {
  // The store's calls within one batch share its append, so they share its failure too.
  const batch = Promise.reject(new Error("disk full"));
  batch.catch(() => {});
  const errors: string[] = [];
  const provider: ChatProvider = {
    id: "p",
    api: "openai",
    stream: async function* () {},
    completeOpenAi: () =>
      Promise.resolve({
        choices: [{ index: 0, message: { role: "assistant", content: "Hi" } }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      }),
  };
  const ctx = {
    signal: new AbortController().signal,
    logger: { error: (message: string) => errors.push(message) },
    services: {
      providers: { resolve: () => ({ provider, providerId: "p", model: "m" }) },
      usage: { record: () => batch },
    },
  } as unknown as HttpContext;
  const turn = { messages: [{ role: "user" as const, content: "Hello" }] };
  for (let i = 0; i < 3; i++) await providerCompletion(ctx, "p/m", turn);
  await batch.catch(() => {});
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(errors, ["usage record failed"]);
});
