import OpenAI from "openai";
import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import type { ChatProvider } from "../../../agent/providers/types.ts";
import type { HttpContext } from "../../../server/http_routes.ts";
import { responsesRoute } from "../../../server/openai/responses.ts";

function sdk(env: { gw: { baseUrl: string; token: string | undefined } }) {
  return new OpenAI({ baseURL: `${env.gw.baseUrl}/v1`, apiKey: env.gw.token!, maxRetries: 0 });
}

Deno.test("/v1/responses answers a string input with instructions", async () => {
  await using env = await startChatGateway();
  env.upstream.reply({ text: "Bonjour", usage: { prompt: 5, completion: 1 } });
  const response = await sdk(env).responses.create({
    model: "gpt-test",
    instructions: "Answer in French",
    input: "Hello",
  });
  assertMatch(response.id, /^resp_/);
  assertEquals(response.object, "response");
  assertEquals(response.status, "completed");
  assertEquals(response.output_text, "Bonjour");
  assertEquals(response.output[0].type, "message");
  assertEquals(response.usage?.total_tokens, 6);
  assertEquals(env.upstream.requests[0].body.messages, [
    { role: "system", content: "Answer in French" },
    { role: "user", content: "Hello" },
  ]);
});

Deno.test("/v1/responses streams the typed events in order", async () => {
  await using env = await startChatGateway();
  env.upstream.reply({ chunks: ["Hi ", "there"] });
  const stream = await sdk(env).responses.create({ model: "gpt-test", input: "x", stream: true });
  const events: OpenAI.Responses.ResponseStreamEvent[] = [];
  for await (const event of stream) events.push(event);
  assertEquals(events.map((e) => e.type), [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
  ]);
  assertEquals(events.map((e) => e.sequence_number), events.map((_, i) => i));
  const completed = events.at(-1) as OpenAI.Responses.ResponseCompletedEvent;
  assertEquals(completed.response.output_text, "Hi there");
});

Deno.test("/v1/responses handles function tools, streamed and as input items", async () => {
  await using env = await startChatGateway();
  const tools: OpenAI.Responses.Tool[] = [{
    type: "function",
    name: "get_time",
    description: "Current time",
    parameters: { type: "object", properties: { tz: { type: "string" } } },
    strict: false,
  }];
  env.upstream.reply({ toolCalls: [{ name: "get_time", arguments: { tz: "UTC" }, id: "call_t" }] });
  const stream = sdk(env).responses.stream({ model: "gpt-test", input: "Time?", tools });
  const types: string[] = [];
  stream.on("event", (event) => types.push(event.type));
  const final = await stream.finalResponse();
  const call = final.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
  assertEquals([call.type, call.call_id, call.name, call.arguments], [
    "function_call",
    "call_t",
    "get_time",
    '{"tz":"UTC"}',
  ]);
  for (
    const type of [
      "response.output_item.added",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.output_item.done",
      "response.completed",
    ]
  ) assert(types.includes(type), type);
  assertEquals(env.upstream.requests[0].body.tools[0].function.name, "get_time");

  env.upstream.reply({ text: "It is noon" });
  const answer = await sdk(env).responses.create({
    model: "gpt-test",
    tools,
    input: [
      { role: "user", content: "Time?" },
      { type: "function_call", call_id: "call_t", name: "get_time", arguments: '{"tz":"UTC"}' },
      { type: "function_call_output", call_id: "call_t", output: "12:00" },
    ],
  });
  assertEquals(answer.output_text, "It is noon");
  const sent = env.upstream.requests[1].body.messages;
  assertEquals(sent[1].tool_calls[0].id, "call_t");
  assertEquals(sent[2], { role: "tool", tool_call_id: "call_t", content: "12:00" });
});

Deno.test("/v1/responses refuses bad bodies with OpenAI-shaped 400s", async () => {
  await using env = await startChatGateway();
  const client = sdk(env);
  const missing = await assertRejects(
    // deno-lint-ignore no-explicit-any
    () => client.responses.create({ model: "gpt-test" } as any),
    OpenAI.BadRequestError,
  );
  assertEquals(missing.param, "input");
  const tool = await assertRejects(
    () =>
      client.responses.create({
        model: "gpt-test",
        input: "x",
        tools: [{ type: "web_search" }],
      }),
    OpenAI.BadRequestError,
  );
  assertMatch(tool.message, /Unsupported tool type: web_search/);
  const previous = await assertRejects(
    () =>
      client.responses.create({ model: "gpt-test", input: "x", previous_response_id: "resp_1" }),
    OpenAI.BadRequestError,
  );
  assertEquals(previous.param, "previous_response_id");
  assertEquals(env.upstream.requests.length, 0);
});

Deno.test("/v1/responses reports a mid-stream upstream failure as response.failed", async () => {
  await using env = await startChatGateway();
  env.upstream.setDefault(() => ({ chunks: ["partial", " more"], breakAfter: 1 }));
  const raw = await fetch(`${env.gw.baseUrl}/v1/responses`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.gw.token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "gpt-test", input: "x", stream: true }),
  });
  const text = await raw.text();
  // The upstream ended without finishing: the stream ends with response.failed, saying why.
  assert(text.includes("event: response.failed"), text);
  assert(!text.includes("response.completed"));
  assertMatch(text, /closed the stream before the answer finished/);
});

Deno.test("/v1/responses streams its opening events even when the source ends without an event", async () => {
  // No built-in provider ends without a `finish`, but a provider of another API may, and so
  // does an agent run aborted while it waited for its session: the client still gets a whole
  // stream, numbered from 0.
  const empty: ChatProvider = {
    id: "quiet",
    api: "openai",
    async *stream() {},
  };
  const ctx = {
    signal: new AbortController().signal,
    services: {
      providers: { resolve: () => ({ provider: empty, providerId: "quiet", model: "m" }) },
    },
  } as unknown as HttpContext;
  const request = new Request("http://127.0.0.1/v1/responses", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "quiet/m", input: "hi", stream: true }),
  });
  const response = await responsesRoute.handle(request, ctx, [] as unknown as RegExpMatchArray);
  const frames = (await response.text()).split("\n\n").filter(Boolean).map((frame) =>
    JSON.parse(frame.split("\n").find((line) => line.startsWith("data: "))!.slice(6))
  );
  assertEquals(
    frames.map((frame) => [frame.type, frame.sequence_number]),
    [["response.created", 0], ["response.in_progress", 1], ["response.completed", 2]],
  );
});

Deno.test("/v1/responses asks the provider for the text.format it names, and echoes it", async () => {
  await using env = await startChatGateway();
  const client = sdk(env);
  const schema = {
    type: "object",
    properties: { city: { type: "string" } },
    required: ["city"],
    additionalProperties: false,
  };
  env.upstream.reply({ text: '{"city":"Oslo"}' });
  const structured = await client.responses.create({
    model: "gpt-test",
    input: "Where?",
    text: {
      format: { type: "json_schema", name: "place", schema, strict: true, description: "A city" },
    },
  });
  assertEquals(env.upstream.requests[0].body.response_format, {
    type: "json_schema",
    json_schema: { name: "place", schema, description: "A city", strict: true },
  });
  assertEquals(structured.text?.format, {
    type: "json_schema",
    name: "place",
    schema,
    strict: true,
    description: "A city",
  });
  assertEquals(JSON.parse(structured.output_text), { city: "Oslo" });

  env.upstream.reply({ chunks: ['{"a":', "1}"] });
  const stream = await client.responses.create({
    model: "gpt-test",
    input: "JSON please",
    text: { format: { type: "json_object" } },
    stream: true,
  });
  let completed: OpenAI.Responses.Response | undefined;
  for await (const event of stream) {
    if (event.type === "response.completed") completed = event.response;
  }
  assertEquals(env.upstream.requests[1].body.response_format, { type: "json_object" });
  assertEquals(completed?.text?.format, { type: "json_object" });

  env.upstream.reply({ text: "plain" });
  const plain = await client.responses.create({ model: "gpt-test", input: "Hi" });
  assertEquals(plain.text?.format, { type: "text" });
  assert(!("response_format" in env.upstream.requests[2].body));

  const bad = await assertRejects(
    () =>
      client.responses.create({
        model: "gpt-test",
        input: "Hi",
        text: { format: { type: "yaml" } as never },
      }),
    OpenAI.BadRequestError,
  );
  assertMatch(bad.message, /text\.format/);
});
