/**
 * @module A non-streamed `/v1/chat/completions` answer from an upstream that speaks OpenAI's
 * wire API is the upstream's own, passed on (issue 17: rebuilding it from events cost the
 * request time): what the upstream adds reaches the client, and what the contract fixes (the
 * model as the client named it, the id's form, the message, finish reason and usage) holds
 * whatever the upstream sent. The upstream here is a small server on 127.0.0.1 that answers
 * with the JSON each test gives it.
 */

import OpenAI from "openai";
import { assertEquals, assertMatch, assertNotEquals } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";

/** An OpenAI-compatible upstream whose next answers are the bodies queued with `answer`. */
function rawUpstream() {
  const answers: unknown[] = [];
  const requests: Record<string, unknown>[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      requests.push(await request.json());
      const next = answers.shift();
      if (next instanceof Response) return next;
      return next === undefined
        ? Response.json({ error: { message: "no answer queued" } }, { status: 500 })
        : Response.json(next);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    requests,
    answer: (body: unknown) => answers.push(body),
    close: () => server.shutdown(),
  };
}

async function startWithRaw() {
  const raw = rawUpstream();
  const env = await startChatGateway({
    config: {
      models: {
        providers: {
          raw: { api: "openai", baseUrl: raw.url, models: [{ id: "raw-model" }] },
        },
      },
      agents: { defaults: { model: "raw/raw-model" } },
    },
  });
  const sdk = new OpenAI({ baseURL: `${env.gw.baseUrl}/v1`, apiKey: env.gw.token!, maxRetries: 0 });
  return {
    raw,
    env,
    sdk,
    async [Symbol.asyncDispose]() {
      await env.close();
      await raw.close();
    },
  };
}

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

/** The JSON body the gateway answers a plain request for `raw-model` with. */
async function plainAnswer(t: Awaited<ReturnType<typeof startWithRaw>>) {
  const response = await fetch(`${t.env.gw.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.env.gw.token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "raw-model", messages: [{ role: "user", content: "Hi" }] }),
  });
  assertEquals(response.status, 200);
  return await response.json();
}

Deno.test("a non-streamed answer's usage and message of the wrong shape are replaced, not passed on", async () => {
  await using t = await startWithRaw();
  t.raw.answer({ choices: [{ message: { content: "ok" }, finish_reason: "stop" }], usage: [] });
  const completion = await t.sdk.chat.completions.create({
    model: "raw-model",
    messages: [{ role: "user", content: "Hi" }],
  });
  assertEquals(completion.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
  assertEquals(completion.choices[0].message.content, "ok");

  t.raw.answer({ choices: [{ message: ["Hi"], finish_reason: "stop" }], usage: "lots" });
  const odd = await plainAnswer(t);
  assertEquals(odd.choices[0].message, { role: "assistant", content: "", refusal: null });
  assertEquals(odd.usage, { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });

  // Tool calls that are not objects still come out in the form a client reads.
  t.raw.answer({ choices: [{ message: { tool_calls: [null, "x"] } }] });
  const calls = await plainAnswer(t);
  assertEquals(calls.choices[0].message.tool_calls, [
    { id: "call_0", type: "function", function: { name: "", arguments: "" } },
    { id: "call_1", type: "function", function: { name: "", arguments: "" } },
  ]);
  assertEquals(calls.choices[0].finish_reason, "tool_calls");
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

Deno.test("an answer's fields of the wrong type come out as strings or null, passed on or through events", async () => {
  await using t = await startWithRaw();
  const odd = {
    choices: [{
      message: {
        content: "",
        refusal: 5,
        tool_calls: [{ id: 7, type: "function", function: { name: 5, arguments: { a: 1 } } }],
      },
      logprobs: "no",
      finish_reason: "tool_calls",
    }],
  };
  t.raw.answer(odd);
  const passed = await plainAnswer(t);
  // Arguments given as an object are kept, as their JSON text.
  assertEquals(passed.choices[0].message.tool_calls, [
    { id: "call_0", type: "function", function: { name: "", arguments: '{"a":1}' } },
  ]);
  assertEquals(passed.choices[0].message.refusal, null);
  assertEquals(passed.choices[0].logprobs, null);

  // The same answer through the provider's events (/v1/responses builds its items from them).
  t.raw.answer(odd);
  const response = await t.sdk.responses.create({ model: "raw-model", input: "Hi" });
  const call = response.output.find((item) => item.type === "function_call");
  assertEquals(
    call && { call_id: call.call_id, name: call.name, arguments: call.arguments },
    { call_id: "call_0", name: "", arguments: '{"a":1}' },
  );
});

Deno.test("an answer that is not JSON is the upstream's error, not 'Cannot reach'", async () => {
  await using t = await startWithRaw();
  t.raw.answer(new Response("<html>502 from a proxy</html>", { status: 200 }));
  const response = await fetch(`${t.env.gw.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.env.gw.token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "raw-model", messages: [{ role: "user", content: "Hi" }] }),
  });
  assertEquals(response.status, 502);
  const { error } = await response.json();
  assertMatch(error.message, /Provider raw sent an answer that cannot be read/);
});
