/**
 * @module The Chat Completions options beyond the common ones (`logprobs`, `top_logprobs`,
 * `presence_penalty`, `frequency_penalty`, `logit_bias`, `parallel_tool_calls`): passed to an
 * upstream that speaks OpenAI's wire API, its log probabilities passed back; mapped where
 * another provider has the same thing; refused (400, naming the parameter) where it has none.
 * `user` goes to no OpenAI-wire upstream, and to Anthropic only as a hash.
 */

import OpenAI from "openai";
import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { startFakeAnthropic } from "../../_helpers/fake_anthropic.ts";
import { startFakeOpenAI } from "../../_helpers/fake_openai.ts";
import { startWithRaw } from "./_raw_upstream.ts";

function sdk(env: { gw: { baseUrl: string; token: string | undefined } }) {
  return new OpenAI({ baseURL: `${env.gw.baseUrl}/v1`, apiKey: env.gw.token!, maxRetries: 0 });
}

const tools: OpenAI.ChatCompletionTool[] = [{
  type: "function",
  function: { name: "lookup", parameters: { type: "object", properties: {} } },
}];

const extras = {
  logprobs: true,
  top_logprobs: 2,
  presence_penalty: 0.5,
  frequency_penalty: -0.25,
  logit_bias: { "50256": -100 },
};

Deno.test("an OpenAI-wire upstream gets the sampling extras, streamed and not", async () => {
  await using env = await startChatGateway();
  const client = sdk(env);
  env.upstream.reply({ text: "Hi" });
  await client.chat.completions.create({
    model: "fake/gpt-test",
    messages: [{ role: "user", content: "Hi" }],
    ...extras,
    user: "bob@corp.example",
    tools,
    parallel_tool_calls: false,
  });
  env.upstream.reply({ chunks: ["H", "i"] });
  const stream = await client.chat.completions.create({
    model: "gpt-test",
    messages: [{ role: "user", content: "Hi" }],
    ...extras,
    user: "bob@corp.example",
    stream: true,
  });
  for await (const _ of stream) { /* read to the end */ }
  const [whole, streamed] = env.upstream.requests.map((request) => request.body);
  for (const body of [whole, streamed]) {
    assertEquals(
      [
        body.logprobs,
        body.top_logprobs,
        body.presence_penalty,
        body.frequency_penalty,
        body.logit_bias,
      ],
      Object.values(extras),
    );
    // Strict OpenAI-compatible servers (Mistral: 422 extra_forbidden) refuse fields they do not
    // know, and clients send `user` routinely: it names the agent's session, nothing upstream.
    assert(!("user" in body), JSON.stringify(body));
  }
  assertEquals(whole.parallel_tool_calls, false);
  // OpenAI refuses `parallel_tool_calls` without tools; none were sent, so neither is it.
  assert(!("parallel_tool_calls" in streamed));
});

Deno.test("the upstream's log probabilities reach the client, streamed and not", async () => {
  await using t = await startWithRaw();
  const logprobs = {
    content: [{ token: "Hi", logprob: -0.1, bytes: [72, 105], top_logprobs: [] }],
    refusal: null,
  };
  t.raw.answer({
    id: "chatcmpl-1",
    choices: [{
      index: 0,
      message: { role: "assistant", content: "Hi" },
      logprobs,
      finish_reason: "stop",
    }],
  });
  const whole = await t.sdk.chat.completions.create({
    model: "raw-model",
    messages: [{ role: "user", content: "Hi" }],
    logprobs: true,
  });
  assertEquals(whole.choices[0].logprobs, logprobs);
  assertEquals(t.raw.requests[0].logprobs, true);

  const frames = [
    { choices: [{ index: 0, delta: { content: "Hi" }, logprobs }] },
    { choices: [{ index: 0, delta: { content: "!" } }] },
    { choices: [{ index: 0, delta: {}, finish_reason: "stop" }] },
  ];
  t.raw.answer(
    new Response(
      [...frames.map((f) => JSON.stringify(f)), "[DONE]"].map((f) => `data: ${f}\n\n`).join(""),
      { headers: { "content-type": "text/event-stream" } },
    ),
  );
  const stream = await t.sdk.chat.completions.create({
    model: "raw-model",
    messages: [{ role: "user", content: "Hi" }],
    logprobs: true,
    stream: true,
  });
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const withText = chunks.filter((chunk) => chunk.choices[0]?.delta.content);
  assertEquals(withText.map((chunk) => chunk.choices[0].logprobs), [logprobs, null]);
});

Deno.test("Anthropic models map user and parallel_tool_calls, and refuse what they cannot honour", async () => {
  await using anthropic = await startFakeAnthropic({ apiKey: "sk-ant" });
  await using env = await startChatGateway({
    config: {
      models: {
        providers: {
          anthropic: { baseUrl: anthropic.url, apiKey: "sk-ant", models: [{ id: "claude-test" }] },
        },
      },
    },
  });
  const client = sdk(env);
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Hi" }];
  for (
    const [param, value] of [
      ["logprobs", true],
      ["top_logprobs", 3],
      ["logit_bias", { "1": 5 }],
      ["presence_penalty", 1],
      ["frequency_penalty", 0.5],
    ] as const
  ) {
    const refused = await assertRejects(
      () => client.chat.completions.create({ model: "claude-test", messages, [param]: value }),
      OpenAI.BadRequestError,
    );
    assertEquals(refused.param, param);
    assertMatch(refused.message, new RegExp(`${param} is not supported for anthropic models`));
  }
  // Anthropic has no JSON mode to hold an answer to: a format is refused, not ignored.
  const format = await assertRejects(
    () =>
      client.chat.completions.create({
        model: "claude-test",
        messages,
        response_format: { type: "json_object" },
      }),
    OpenAI.BadRequestError,
  );
  assertEquals(format.param, "response_format");
  const textFormat = await assertRejects(
    () =>
      client.responses.create({
        model: "claude-test",
        input: "Hi",
        text: { format: { type: "json_schema", name: "x", schema: { type: "object" } } },
      }),
    OpenAI.BadRequestError,
  );
  assertEquals(textFormat.param, "text.format");
  assertEquals(anthropic.requests.length, 0, "nothing refused reached the provider");

  // What asks for nothing passes; the equivalents are mapped.
  anthropic.reply({ text: "Hello" });
  const answer = await client.chat.completions.create({
    model: "claude-test",
    messages,
    logprobs: false,
    presence_penalty: 0,
    logit_bias: {},
    user: "bob@corp.example",
    tools,
    tool_choice: "required",
    parallel_tool_calls: false,
  });
  assertEquals(answer.choices[0].message.content, "Hello");
  const sent = anthropic.requests[0].body;
  // Anthropic asks for an opaque id, never an e-mail address: the first 32 hex of its SHA-256.
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode("bob@corp.example"),
  );
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  assertEquals(sent.metadata, { user_id: hex.slice(0, 32) });
  assertEquals(sent.tool_choice, { type: "any", disable_parallel_tool_use: true });
});

Deno.test("agent models refuse the sampling extras an agent run cannot honour", async () => {
  await using env = await startChatGateway();
  const refused = await assertRejects(
    () =>
      sdk(env).chat.completions.create({
        model: "agent:main",
        messages: [{ role: "user", content: "Hi" }],
        logprobs: true,
      }),
    OpenAI.BadRequestError,
  );
  assertEquals(refused.param, "logprobs");
  assertMatch(refused.message, /agent:main/);
  // An agent answers in its own words: a JSON format would be ignored, and is refused.
  const format = await assertRejects(
    () =>
      sdk(env).chat.completions.create({
        model: "agent:main",
        messages: [{ role: "user", content: "Hi" }],
        response_format: { type: "json_schema", json_schema: { name: "x", schema: {} } },
      }),
    OpenAI.BadRequestError,
  );
  assertEquals(format.param, "response_format");
  assertMatch(format.message, /response_format is not supported for agent models \(agent:main\)/);
  const textFormat = await assertRejects(
    () =>
      sdk(env).responses.create({
        model: "agent:main",
        input: "Hi",
        text: { format: { type: "json_object" } },
      }),
    OpenAI.BadRequestError,
  );
  assertEquals(textFormat.param, "text.format");
  assertEquals(env.upstream.requests.length, 0);
  // Plain text asks for nothing: it passes, and the answer claims only that.
  env.upstream.reply({ text: "Hello" });
  const answer = await sdk(env).responses.create({
    model: "agent:main",
    input: "Hi",
    text: { format: { type: "text" } },
  });
  assertEquals([answer.output_text, answer.text?.format], ["Hello", { type: "text" }]);
});

Deno.test("local llama.cpp models refuse the sampling extras they cannot honour", async () => {
  await using upstream = await startFakeOpenAI({ apiKey: "sk-fake" });
  // A configured local model that is not downloaded: nothing here loads one.
  await using env = await startChatGateway({
    config: {
      models: {
        providers: {
          fake: { baseUrl: upstream.url, apiKey: "sk-fake", models: [{ id: "gpt-test" }] },
          llamacpp: { models: [{ id: "none" }] },
        },
      },
    },
  });
  const client = sdk(env);
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: "user", content: "Hi" }];
  for (
    const [param, value] of [
      ["logprobs", true],
      ["logit_bias", { "1": 5 }],
      ["presence_penalty", 1],
      ["frequency_penalty", 0.5],
      ["parallel_tool_calls", false],
    ] as const
  ) {
    // Refused before the model is looked for: no model need be downloaded.
    const refused = await assertRejects(
      () =>
        client.chat.completions.create({ model: "llamacpp/none", messages, tools, [param]: value }),
      OpenAI.BadRequestError,
    );
    assertEquals(refused.param, param);
    assertMatch(refused.message, /llamacpp models/);
  }
  // Without them, the same request goes on to look for the model.
  await assertRejects(
    () => client.chat.completions.create({ model: "llamacpp/none", messages, user: "u" }),
    OpenAI.NotFoundError,
  );
});
