/**
 * @module A non-streamed `/v1/chat/completions` answer from an upstream that speaks OpenAI's
 * wire API is the upstream's own, passed on (issue 17: rebuilding it from events cost the
 * request time): what the upstream adds reaches the client, and what the contract fixes (the
 * model as the client named it, the id's form, the message, finish reason and usage) holds
 * whatever the upstream sent. The upstream here is a small server on 127.0.0.1 that answers
 * with the JSON each test gives it.
 */

import { assertEquals, assertMatch, assertNotEquals } from "../../_helpers/assert.ts";
import { plainAnswer, startWithRaw } from "./_raw_upstream.ts";

Deno.test("a non-streamed answer keeps what the upstream added and the client's model name", async () => {
  await using t = await startWithRaw();
  t.raw.answer({
    id: "chatcmpl-upstream123",
    object: "chat.completion",
    created: 1709000000,
    model: "raw-model-2024-01-01",
    system_fingerprint: "fp_abc",
    choices: [{
      index: 0,
      message: { role: "assistant", content: "Hi there", reasoning_content: "Thinking..." },
      logprobs: null,
      finish_reason: "stop",
    }],
    usage: {
      prompt_tokens: 7,
      completion_tokens: 3,
      total_tokens: 10,
      prompt_tokens_details: { cached_tokens: 2 },
    },
  });
  const answer = await fetch(`${t.env.gw.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.env.gw.token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "raw/raw-model", messages: [{ role: "user", content: "Hi" }] }),
  }).then((response) => response.json());
  assertEquals(answer, {
    id: "chatcmpl-upstream123",
    object: "chat.completion",
    created: 1709000000,
    model: "raw/raw-model",
    system_fingerprint: "fp_abc",
    choices: [{
      index: 0,
      message: {
        role: "assistant",
        content: "Hi there",
        reasoning_content: "Thinking...",
        refusal: null,
      },
      logprobs: null,
      finish_reason: "stop",
    }],
    usage: {
      prompt_tokens: 7,
      completion_tokens: 3,
      total_tokens: 10,
      prompt_tokens_details: { cached_tokens: 2 },
    },
  });
  // The upstream was asked for its own model name, and the call's usage was recorded.
  assertEquals(t.raw.requests[0].model, "raw-model");
  await t.env.gw.gateway.services.usage.flush();
  assertEquals((await t.env.gw.gateway.services.usage.summary(1)).totalTokens, 10);
});

Deno.test("a non-streamed answer gets what a client reads where the upstream left it out", async () => {
  await using t = await startWithRaw();
  // No id of the right form, no time, no usage, a tool call without type or id, an old reason.
  t.raw.answer({
    id: "gen-42",
    choices: [{
      message: { content: "", tool_calls: [{ function: { name: "lookup", arguments: "{}" } }] },
      finish_reason: "function_call",
    }],
  });
  const completion = await t.sdk.chat.completions.create({
    model: "raw-model",
    messages: [{ role: "user", content: "Look it up" }],
  });
  assertMatch(completion.id, /^chatcmpl-[0-9a-f]{24}$/);
  assertNotEquals(completion.id, "gen-42");
  assertEquals(completion.object, "chat.completion");
  assertEquals(typeof completion.created, "number");
  assertEquals(completion.model, "raw-model");
  assertEquals(completion.choices.length, 1);
  assertEquals(completion.choices[0].index, 0);
  assertEquals(completion.choices[0].message.role, "assistant");
  assertEquals(completion.choices[0].message.content, null);
  assertEquals(completion.choices[0].message.tool_calls, [
    { id: "call_0", type: "function", function: { name: "lookup", arguments: "{}" } },
  ]);
  assertEquals(completion.choices[0].finish_reason, "tool_calls");
  assertEquals(completion.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });

  // No finish reason and no content at all: a plain stop with empty text.
  t.raw.answer({ choices: [{ message: {} }], usage: { prompt_tokens: 4, completion_tokens: 1 } });
  const empty = await t.sdk.chat.completions.create({
    model: "raw-model",
    messages: [{ role: "user", content: "Say nothing" }],
  });
  assertEquals(empty.choices[0].message.content, "");
  assertEquals(empty.choices[0].finish_reason, "stop");
  assertEquals(empty.usage, { prompt_tokens: 4, completion_tokens: 1, total_tokens: 5 });
});

Deno.test("a non-streamed answer with no choice is an upstream error, not passed on", async () => {
  await using t = await startWithRaw();
  t.raw.answer({ id: "chatcmpl-x", choices: [] });
  const response = await fetch(`${t.env.gw.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.env.gw.token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "raw-model", messages: [{ role: "user", content: "Hi" }] }),
  });
  const body = await response.json();
  assertEquals(response.status, 502);
  assertMatch(body.error.message, /answered no choices/);
});

Deno.test("a non-streamed answer has refusal and logprobs, null where the upstream left them out", async () => {
  await using t = await startWithRaw();
  // As Ollama, llama.cpp and vLLM answer: neither field.
  t.raw.answer({
    id: "chatcmpl-local1",
    created: 1709000000,
    choices: [{ index: 0, message: { role: "assistant", content: "Hi" }, finish_reason: "stop" }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
  assertEquals((await plainAnswer(t)).choices, [{
    index: 0,
    message: { role: "assistant", content: "Hi", refusal: null },
    logprobs: null,
    finish_reason: "stop",
  }]);
  // What the upstream did say is kept.
  t.raw.answer({
    choices: [{
      message: { content: "", refusal: "I can't help with that" },
      logprobs: { content: [], refusal: null },
      finish_reason: "stop",
    }],
  });
  const refused = await t.sdk.chat.completions.create({
    model: "raw-model",
    messages: [{ role: "user", content: "Hi" }],
  });
  assertEquals(refused.choices[0].message.refusal, "I can't help with that");
  assertEquals(refused.choices[0].logprobs, { content: [], refusal: null });
});

Deno.test("a non-streamed answer's content parts become its text", async () => {
  await using t = await startWithRaw();
  t.raw.answer({
    choices: [{
      message: {
        content: [
          { type: "text", text: "Hello, " },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA" } },
          { type: "text", text: "world" },
        ],
      },
      finish_reason: "stop",
    }],
  });
  const completion = await t.sdk.chat.completions.create({
    model: "raw-model",
    messages: [{ role: "user", content: "Hi" }],
  });
  assertEquals(completion.choices[0].message.content, "Hello, world");
});
