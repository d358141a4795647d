/**
 * @module An OpenAI-wire provider's `streamReads` (agent/providers/openai_compat.ts): the events
 * of each upstream read together, whatever HTTP chunks the read held, so `/v1/chat/completions`
 * writes them on at once (issue 17, first streamed chunk); and a failure after some events of a
 * read comes after those events, as it does event by event.
 */

import { assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { rawHttpServer } from "../../_helpers/raw_http_server.ts";
import { createOpenAiProvider } from "../../../agent/providers/openai_compat.ts";
import { ProviderError, type StreamEvent } from "../../../agent/providers/types.ts";

const HEAD = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n" +
  "transfer-encoding: chunked\r\n\r\n";
const LAST_CHUNK = "0\r\n\r\n";

/** One SSE event as one HTTP chunk, as servers that flush every event write it. */
function chunked(data: unknown): string {
  const event = `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
  return `${new TextEncoder().encode(event).length.toString(16)}\r\n${event}\r\n`;
}
const word = (content: string) => chunked({ choices: [{ delta: { content } }] });

/** A provider for `pieces`, each written at once when the test lets it go. */
function upstreamOf(pieces: AsyncIterable<string>) {
  const server = rawHttpServer(() => ({ stream: pieces }));
  const provider = createOpenAiProvider({
    id: "local",
    api: "openai",
    baseUrl: `${server.url}/v1`,
    timeoutMs: 10_000,
  });
  const reads = provider.streamReads!({ model: "m", messages: [{ role: "user", content: "Hi" }] });
  return { server, reads };
}

Deno.test("an OpenAI provider's streamReads gives each upstream read's events together", async () => {
  const second = Promise.withResolvers<void>();
  async function* pieces() {
    yield HEAD + chunked({ choices: [{ delta: { role: "assistant", content: "" } }] }) +
      word("Hel") + word("lo");
    await second.promise;
    yield word(" there") +
      chunked({ choices: [{ delta: {}, finish_reason: "stop" }] }) +
      chunked({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 3 } }) +
      chunked("[DONE]") + LAST_CHUNK;
  }
  const { server, reads } = upstreamOf(pieces());
  using _server = server;
  assertEquals((await reads.next()).value, [
    { type: "text", text: "Hel" },
    { type: "text", text: "lo" },
  ]);
  second.resolve();
  assertEquals(
    (await reads.next()).value,
    [
      { type: "text", text: " there" },
      {
        type: "finish",
        reason: "stop",
        usage: { promptTokens: 2, completionTokens: 3, totalTokens: 5 },
      },
    ] satisfies StreamEvent[],
  );
  assertEquals((await reads.next()).done, true);
});

Deno.test("an upstream error frame after text in the same read fails after that text", async () => {
  async function* pieces() {
    yield HEAD + word("partial") + chunked({ error: { message: "overloaded" } }) + LAST_CHUNK;
  }
  const { server, reads } = upstreamOf(pieces());
  using _server = server;
  assertEquals((await reads.next()).value, [{ type: "text", text: "partial" }]);
  const error = await assertRejects(() => reads.next(), ProviderError, "failed mid-answer");
  assertEquals(error.message, "Provider local failed mid-answer: overloaded");
});

Deno.test("an upstream answer that ends before its finish fails after the text it sent", async () => {
  async function* pieces() {
    yield HEAD + word("cut") + LAST_CHUNK;
  }
  const { server, reads } = upstreamOf(pieces());
  using _server = server;
  assertEquals((await reads.next()).value, [{ type: "text", text: "cut" }]);
  const error = await assertRejects(
    () => reads.next(),
    ProviderError,
    "closed the stream before the answer finished",
  );
  assertEquals(error.kind, "upstream");
});
