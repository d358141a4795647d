/**
 * @module What a streamed `/v1/chat/completions` answer makes of an upstream that fails part
 * way (an `error` frame, a body that ends before its finish): the text sent before it, then the
 * error as OpenAI writes one in-band, and no `[DONE]`; and the usage of a streamed answer
 * recorded as a whole one's is. The upstream writes each answer at once, so these hold where a
 * read's events are handled together (server/openai/_chat_chunks.ts).
 */

import { assert, assertEquals } from "../../_helpers/assert.ts";
import { postChat, startWithRaw } from "./_raw_upstream.ts";

type Raw = Awaited<ReturnType<typeof startWithRaw>>;

/** The frames of the gateway's streamed answer to an upstream that answers `frames`. */
async function streamedFrames(t: Raw, frames: unknown[], include_usage = false) {
  t.raw.answer(
    new Response(
      frames.map((f) => `data: ${typeof f === "string" ? f : JSON.stringify(f)}\n\n`).join(""),
      { headers: { "content-type": "text/event-stream" } },
    ),
  );
  const response = await postChat(t.env, {
    model: "raw-model",
    messages: [{ role: "user", content: "Hi" }],
    stream: true,
    ...(include_usage ? { stream_options: { include_usage } } : {}),
  });
  assertEquals(response.status, 200);
  const text = await response.text();
  assert(text.endsWith("\n\n"), text);
  return text.slice(0, -2).split("\n\n").map((frame) => {
    assert(frame.startsWith("data: "), frame);
    const data = frame.slice("data: ".length);
    return data === "[DONE]" ? data : JSON.parse(data);
  });
}

const word = (content: string) => ({ choices: [{ index: 0, delta: { content } }] });
const contentOf = (frame: { choices?: { delta?: { content?: string } }[] }) =>
  frame.choices?.[0]?.delta?.content;

Deno.test("a streamed answer whose upstream sends an error frame ends with that error, after the text", async () => {
  await using t = await startWithRaw();
  const frames = await streamedFrames(t, [
    word("par"),
    word("tial"),
    { error: { message: "overloaded" } },
    word("never"),
  ]);
  assertEquals(frames.slice(0, 3).map(contentOf), ["", "par", "tial"]);
  assertEquals(frames.length, 4);
  assertEquals(frames[3].error.message, "Provider raw failed mid-answer: overloaded");
});

Deno.test("a streamed answer whose upstream body ends before its finish ends with an error", async () => {
  await using t = await startWithRaw();
  const frames = await streamedFrames(t, [word("cut"), word(" short")]);
  assertEquals(frames.slice(0, 3).map(contentOf), ["", "cut", " short"]);
  assertEquals(frames.length, 4);
  assertEquals(
    frames[3].error.message,
    "Provider raw closed the stream before the answer finished",
  );
});

Deno.test("a streamed answer's usage is recorded, and sent only to a client that asked", async () => {
  await using t = await startWithRaw();
  const answer = [
    word("Hi"),
    { choices: [{ index: 0, delta: {}, finish_reason: "length" }] },
    { choices: [], usage: { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 } },
    "[DONE]",
  ];
  const asked = await streamedFrames(t, answer, true);
  assertEquals(asked.at(-3).choices[0].finish_reason, "length");
  assertEquals(asked.at(-2).usage, { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 });
  assertEquals(asked.at(-1), "[DONE]");
  const plain = await streamedFrames(t, answer);
  assertEquals(plain.at(-2).choices[0].finish_reason, "length");
  assertEquals(plain.filter((frame) => frame.usage !== undefined), []);
  // Both calls' counts, as a whole answer's are.
  await t.env.gw.gateway.services.usage.flush();
  const usage = await t.env.gw.gateway.services.usage.summary(1);
  assertEquals([usage.requests, usage.promptTokens, usage.completionTokens], [2, 8, 2]);
});
