import { assert, assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { startFakeOpenAI } from "../../_helpers/fake_openai.ts";
import { startFakeAnthropic } from "../../_helpers/fake_anthropic.ts";
import {
  createOpenAiProvider,
  openAiBodyBytes,
  toOpenAiBody,
} from "../../../agent/providers/openai_compat.ts";
import { createAnthropicProvider } from "../../../agent/providers/anthropic.ts";
import {
  type ChatProvider,
  type ChatRequest,
  ProviderError,
  type StreamEvent,
} from "../../../agent/providers/types.ts";

async function collect(provider: ChatProvider, request: ChatRequest): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of provider.stream(request)) events.push(event);
  return events;
}

const wires = [
  {
    name: "openai",
    start: startFakeOpenAI,
    make: (url: string, apiKey?: string) =>
      createOpenAiProvider({ id: "fake", api: "openai", baseUrl: url, apiKey, timeoutMs: 5_000 }),
  },
  {
    name: "anthropic",
    start: startFakeAnthropic,
    make: (url: string, apiKey?: string) =>
      createAnthropicProvider({
        id: "fake",
        api: "anthropic",
        baseUrl: url,
        apiKey,
        timeoutMs: 5_000,
      }),
  },
];

for (const wire of wires) {
  Deno.test(`${wire.name} provider streams text and usage`, async () => {
    await using upstream = await wire.start({ apiKey: "key-1" });
    upstream.reply({ chunks: ["Hel", "lo"], usage: { prompt: 7, completion: 2 } });
    const events = await collect(wire.make(upstream.url, "key-1"), {
      model: "m1",
      messages: [{ role: "system", content: "Be brief" }, { role: "user", content: "Hi" }],
    });
    assertEquals(events, [
      { type: "text", text: "Hel" },
      { type: "text", text: "lo" },
      {
        type: "finish",
        reason: "stop",
        usage: { promptTokens: 7, completionTokens: 2, totalTokens: 9 },
      },
    ]);
    assertEquals(upstream.requests[0].body.model, "m1");
  });

  Deno.test(`${wire.name} provider streams tool calls with complete arguments`, async () => {
    await using upstream = await wire.start();
    upstream.reply({ toolCalls: [{ name: "echo", arguments: { text: "hi there" }, id: "c1" }] });
    const events = await collect(wire.make(upstream.url), {
      model: "m1",
      messages: [{ role: "user", content: "Call it" }],
      tools: [{ name: "echo", description: "Echo", parameters: { type: "object" } }],
    });
    const call = events.find((e) => e.type === "tool_call");
    assertEquals(call, {
      type: "tool_call",
      index: 0,
      call: { id: "c1", name: "echo", arguments: '{"text":"hi there"}' },
    });
    const deltas = events.filter((e) => e.type === "tool_call_delta");
    assert(deltas.length >= 2);
    assertEquals(events.at(-1)?.type, "finish");
    assertEquals((events.at(-1) as { reason: string }).reason, "tool_calls");
  });

  Deno.test(`${wire.name} provider maps upstream errors`, async () => {
    await using upstream = await wire.start({ apiKey: "right", models: ["m1"] });
    const bad = await assertRejects(
      () => collect(wire.make(upstream.url, "wrong"), { model: "m1", messages: [] }),
      ProviderError,
    );
    assertEquals(bad.kind, "auth");
    const unknown = await assertRejects(
      () => collect(wire.make(upstream.url, "right"), { model: "nope", messages: [] }),
      ProviderError,
      "nope",
    );
    assertEquals(unknown.kind, "model_not_found");
    upstream.reply({ error: { status: 429, retryAfter: 7 } });
    const limited = await assertRejects(
      () => collect(wire.make(upstream.url, "right"), { model: "m1", messages: [] }),
      ProviderError,
    );
    assertEquals(limited.kind, "rate_limit");
    assertEquals(limited.retryAfterMs, 7000);
    await upstream.close();
    const gone = await assertRejects(
      () => collect(wire.make(upstream.url, "right"), { model: "m1", messages: [] }),
      ProviderError,
    );
    assertEquals(gone.kind, "unreachable");
  });

  Deno.test(`${wire.name} provider abort closes the upstream stream`, async () => {
    await using upstream = await wire.start();
    upstream.reply({ chunks: ["a", "b", "c", "d", "e", "f"], holdAfter: 1 });
    const controller = new AbortController();
    const error = await assertRejects(async () => {
      for await (
        const event of wire.make(upstream.url).stream({
          model: "m",
          messages: [{ role: "user", content: "x" }],
          signal: controller.signal,
        })
      ) {
        if (event.type === "text") controller.abort();
      }
    }, ProviderError);
    assertEquals(error.kind, "aborted");
    await upstream.waitForAborted(1);
  });

  Deno.test(`${wire.name} provider lists models`, async () => {
    await using upstream = await wire.start({ models: ["a1", "a2"] });
    const models = await wire.make(upstream.url).listModels!();
    assertEquals(models.map((m) => m.id), ["a1", "a2"]);
  });
}

for (const wire of wires) {
  Deno.test(`${wire.name} provider fails a stream that ends before finishing`, async () => {
    await using upstream = await wire.start();
    upstream.reply({ chunks: ["a", "b", "c"], breakAfter: 1 });
    const error = await assertRejects(
      () => collect(wire.make(upstream.url), { model: "m", messages: [] }),
      ProviderError,
      "before the answer finished",
    );
    assertEquals(error.kind, "upstream");
  });
}

for (const wire of wires) {
  Deno.test(`${wire.name} provider with stream false makes one plain call, same events`, async () => {
    await using upstream = await wire.start();
    upstream.reply({
      text: "Plain answer",
      toolCalls: [{ name: "echo", arguments: { a: 1 }, id: "t1" }],
      usage: { prompt: 3, completion: 4 },
    });
    const events = await collect(wire.make(upstream.url), {
      model: "m",
      messages: [{ role: "user", content: "x" }],
      stream: false,
    });
    assertEquals(upstream.requests[0].body.stream, false);
    assertEquals(events, [
      { type: "text", text: "Plain answer" },
      { type: "tool_call", index: 0, call: { id: "t1", name: "echo", arguments: '{"a":1}' } },
      {
        type: "finish",
        reason: "tool_calls",
        usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
      },
    ]);
  });
}

Deno.test("a provider that sends nothing within timeoutMs fails with a timeout", async () => {
  await using upstream = await startFakeOpenAI();
  upstream.reply({ text: "late", delayMs: 1_000 });
  const provider = createOpenAiProvider({
    id: "slow",
    api: "openai",
    baseUrl: upstream.url,
    timeoutMs: 100,
  });
  const error = await assertRejects(
    () => collect(provider, { model: "m", messages: [] }),
    ProviderError,
    "did not answer within 100 ms",
  );
  assertEquals(error.kind, "timeout");
});

Deno.test("toOpenAiBody names the token limit as each kind of server expects", () => {
  const request = { model: "m", messages: [], maxTokens: 50 };
  assertEquals(toOpenAiBody(request).max_tokens, 50);
  const official = toOpenAiBody(request, { officialApi: true });
  assertEquals([official.max_completion_tokens, official.max_tokens], [50, undefined]);
});

Deno.test("openAiBodyBytes is toOpenAiBody's JSON, its tools serialised once per tool array", () => {
  const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));
  const tools = Object.freeze([
    { name: "read", description: "Read a file", parameters: { type: "object", properties: {} } },
    { name: "ls", description: "List a folder", parameters: { type: "object" } },
  ]);
  const requests: ChatRequest[] = [
    { model: "m", messages: [{ role: "user", content: "Hi" }], temperature: 0.5 },
    { model: "m", messages: [{ role: "user", content: "Hi" }], tools, maxTokens: 9 },
    { model: "m", messages: [], tools, toolChoice: { name: "ls" }, stream: false },
  ];
  for (const request of requests) {
    assertEquals(json(openAiBodyBytes(request)), toOpenAiBody(request));
    assertEquals(
      json(openAiBodyBytes(request, { officialApi: true })),
      toOpenAiBody(request, { officialApi: true }),
    );
  }
  // A second request with the same array (a warm turn) sends the same tools.
  const again = json(openAiBodyBytes({ model: "n", messages: [], tools }));
  assertEquals(again.tools, toOpenAiBody(requests[1]).tools);
  assertEquals(again.model, "n");
});

Deno.test("openai provider's stream is the parser's own generator and asks upstream with the first read", async () => {
  await using upstream = await startFakeOpenAI({ apiKey: "key-1" });
  upstream.reply({ chunks: ["a", "b"] });
  const provider = wires[0].make(upstream.url, "key-1");
  // A plain method that returns the parser's generator: a delegating `yield*` generator around it
  // cost every streamed delta one more promise hop (issue 17, turn overhead).
  assertEquals(Object.getPrototypeOf(provider.stream), Function.prototype);
  const stream = provider.stream({ model: "m1", messages: [{ role: "user", content: "Hi" }] });
  await Promise.resolve();
  assertEquals(upstream.requests.length, 0);
  const texts: string[] = [];
  for await (const event of stream) if (event.type === "text") texts.push(event.text);
  assertEquals(texts, ["a", "b"]);
  assertEquals(upstream.requests.length, 1);
});
