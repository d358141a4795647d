/**
 * @module What a provider's failure says to OpenAI API clients: the upstream's words, with the
 * gateway's secrets and anything shaped like a key blanked out, for provider models and agents.
 */

import OpenAI from "openai";
import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { redactText } from "../../../agent/providers/errors.ts";

/** An upstream that echoes what it was sent: its key as configured, as a header, in a query. */
const ECHO = "Invalid request from key=sk-live-SECRET1234 (Authorization: Bearer sk-fake); " +
  "also tried AIzaSyA-0123456789abcdefghijKLMN and the key sk-fake itself";

Deno.test("provider failures reach OpenAI API clients without the secrets an upstream echoes", async () => {
  await using env = await startChatGateway();
  const client = new OpenAI({
    baseURL: `${env.gw.baseUrl}/v1`,
    apiKey: env.gw.token!,
    maxRetries: 0,
  });
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Hi" }];
  const asks = [
    () => client.chat.completions.create({ model: "gpt-test", messages }),
    () => client.chat.completions.create({ model: "gpt-test", messages, stream: true }),
    () => client.chat.completions.create({ model: "agent:main", messages }),
    () => client.chat.completions.create({ model: "agent:main", messages, stream: true }),
    () => client.responses.create({ model: "gpt-test", input: "Hi" }),
    () => client.responses.create({ model: "agent:main", input: "Hi" }),
  ];
  for (const ask of asks) {
    env.upstream.reply({ error: { status: 400, message: ECHO } });
    const error = await assertRejects(ask, OpenAI.BadRequestError);
    // The upstream's words are still there to read; no secret is.
    assertMatch(error.message, /Invalid request from key=\[REDACTED\]/);
    assertMatch(error.message, /Bearer \[REDACTED\]/);
    for (const secret of ["sk-fake", "SECRET1234", "AIzaSy"]) {
      assert(!error.message.includes(secret), error.message);
    }
  }
  // An agent's session keeps no secret either.
  const history = await env.gw.gateway.services.chat.history("main", "openai");
  assert(!JSON.stringify(history).includes("sk-fake"));
});

Deno.test("redactText blanks known secrets and key shapes, and leaves other words", () => {
  assertEquals(
    redactText("token=abc.def&x=1, Basic dXNlcjpwYXNz, sk-ant-api03-abcdef", ["hunter22"]),
    "token=[REDACTED]&x=1, Basic [REDACTED], [REDACTED]",
  );
  assertEquals(redactText("my hunter22 was refused", ["hunter22"]), "my [REDACTED] was refused");
  assertEquals(
    redactText("The model gpt-4o does not exist; use a task-specific key"),
    "The model gpt-4o does not exist; use a task-specific key",
  );
});
