/** @module Tests of the local llama.cpp provider with a real (tiny, random-weight) GGUF. */

import { LocalModelStore } from "../../../agent/models/model_store.ts";
import {
  createLlamaCppProvider,
  registerLocalProvider,
} from "../../../agent/providers/llamacpp.ts";
import { ProviderRegistry } from "../../../agent/providers/registry.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { isProviderError, type StreamEvent } from "../../../agent/providers/types.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../../_helpers/assert.ts";
import { CALLING_MODEL, TINY_MODEL_ID, tinyModelStore } from "../../_helpers/tiny_model.ts";

const settings = () => ({ threads: 1, gpuLayers: 0, contextSize: 2048, idleUnloadMs: 60_000 });

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

Deno.test("llamacpp provider streams tokens from a GGUF and stops at maxTokens", async () => {
  await using tiny = await tinyModelStore();
  const provider = createLlamaCppProvider("llamacpp", { store: tiny.store, settings });
  try {
    const events = await collect(provider.stream({
      model: TINY_MODEL_ID,
      messages: [{ role: "system", content: "Be brief." }, { role: "user", content: "Hello" }],
      maxTokens: 8,
      temperature: 0,
    }));
    const texts = events.filter((e) => e.type === "text");
    assert(texts.length >= 1, "at least one text event");
    const finish = events.at(-1)!;
    assert(finish.type === "finish");
    assertEquals(finish.reason, "length");
    assertEquals(finish.usage?.completionTokens, 8);
    assert((finish.usage?.promptTokens ?? 0) > 5, "the prompt was counted");
    assert(provider.runtime.isLoaded, "the model stays loaded for the next request");
    // The second request reuses the loaded model and still answers.
    const again = await collect(provider.stream({
      model: TINY_MODEL_ID,
      messages: [{ role: "user", content: "Again" }],
      maxTokens: 3,
      temperature: 0,
    }));
    assertEquals(again.at(-1)?.type, "finish");
    assertEquals((await provider.listModels!()).map((m) => [m.id, m.provider]), [
      [TINY_MODEL_ID, "llamacpp"],
    ]);
  } finally {
    await provider.close!();
  }
});

Deno.test("llamacpp provider stops on abort with an aborted error", async () => {
  await using tiny = await tinyModelStore();
  const provider = createLlamaCppProvider("llamacpp", { store: tiny.store, settings });
  try {
    const controller = new AbortController();
    let texts = 0;
    const error = await assertRejects(async () => {
      for await (
        const event of provider.stream({
          model: TINY_MODEL_ID,
          messages: [{ role: "user", content: "Tell me a long story" }],
          maxTokens: 200,
          signal: controller.signal,
        })
      ) {
        if (event.type === "text" && ++texts === 2) controller.abort();
      }
    });
    assert(isProviderError(error) && error.kind === "aborted", String(error));
    assert(texts >= 2 && texts < 200, `stopped after ${texts} chunks`);
  } finally {
    await provider.close!();
  }
});

Deno.test("llamacpp provider names an unknown local model", async () => {
  await using tiny = await tinyModelStore();
  const provider = createLlamaCppProvider("llamacpp", { store: tiny.store, settings });
  const error = await assertRejects(() =>
    collect(provider.stream({ model: "nobody/none.gguf", messages: [] }))
  );
  assert(isProviderError(error) && error.kind === "model_not_found");
  await provider.close!();
});

Deno.test("llamacpp provider accepts tools and unloads when idle", async () => {
  await using tiny = await tinyModelStore();
  const provider = createLlamaCppProvider("llamacpp", {
    store: tiny.store,
    settings: () => ({ ...settings(), idleUnloadMs: 50 }),
  });
  try {
    const events = await collect(provider.stream({
      model: TINY_MODEL_ID,
      messages: [
        { role: "user", content: "What time is it?" },
        {
          role: "assistant",
          content: "",
          toolCalls: [{ id: "c1", name: "clock", arguments: '{"zone":"UTC"}' }],
        },
        { role: "tool", toolCallId: "c1", name: "clock", content: "12:00" },
      ],
      tools: [{
        name: "clock",
        description: "Current time",
        parameters: {
          type: "object",
          properties: { zone: { type: "string" }, verbose: { type: "boolean" } },
          required: ["zone"],
        },
      }],
      maxTokens: 4,
      temperature: 0,
    }));
    assertEquals(events.at(-1)?.type, "finish");
    await waitFor(() => !provider.runtime.isLoaded, 20_000, "the model to unload when idle");
  } finally {
    await provider.close!();
  }
});

Deno.test("registerLocalProvider serves downloaded models as llamacpp/<id> without config", async () => {
  await using tiny = await tinyModelStore();
  const config = configSchema().parse({ models: { local: { threads: 1, gpuLayers: 0 } } });
  const registry = new ProviderRegistry({ config: () => config });
  const empty = new LocalModelStore(tiny.stateDir + "/none");
  registerLocalProvider(registry, { store: empty, settings: () => config.models.local });
  assertEquals(registry.providerIds(), [], "no local models, no local provider");
  registerLocalProvider(registry, { store: tiny.store, settings: () => config.models.local });
  assertEquals(registry.providerIds(), ["llamacpp"]);
  const resolved = registry.resolve(`llamacpp/${TINY_MODEL_ID}`);
  assertEquals([resolved.providerId, resolved.model], ["llamacpp", TINY_MODEL_ID]);
  assertEquals(registry.resolve(TINY_MODEL_ID).providerId, "llamacpp");
  const listed = await registry.listModels();
  assertEquals(listed.map((m) => `${m.provider}/${m.id}`), [`llamacpp/${TINY_MODEL_ID}`]);
  const probe = await registry.probe(`llamacpp/${TINY_MODEL_ID}`);
  assert(probe.available, probe.error);
  assert(probe.latency >= 0);
  await registry.close();
});

Deno.test("registry still sends unknown ids to the only configured provider when local models exist", async () => {
  await using tiny = await tinyModelStore();
  const config = configSchema().parse({
    models: { providers: { proxy: { baseUrl: "http://127.0.0.1:9/v1" } } },
  });
  const registry = new ProviderRegistry({ config: () => config });
  registerLocalProvider(registry, { store: tiny.store, settings: () => config.models.local });
  assertEquals(registry.providerIds().toSorted(), ["llamacpp", "proxy"]);
  assertEquals(registry.resolve("my-custom-model").providerId, "proxy");
  assertEquals(registry.resolve(`llamacpp/${TINY_MODEL_ID}`).providerId, "llamacpp");
  await registry.close();
});

Deno.test("llamacpp provider explains a conversation that does not fit the context", async () => {
  await using tiny = await tinyModelStore();
  const provider = createLlamaCppProvider("llamacpp", {
    store: tiny.store,
    settings: () => ({ ...settings(), contextSize: 128 }),
  });
  try {
    const error = await assertRejects(() =>
      collect(provider.stream({
        model: TINY_MODEL_ID,
        messages: [{ role: "system", content: "x".repeat(400) }, { role: "user", content: "Hi" }],
        maxTokens: 4,
      }))
    );
    assert(isProviderError(error) && error.kind === "bad_request", String(error));
    assertMatch(error.message, /do not fit the local model's context \(\d+ tokens\)/);
  } finally {
    await provider.close!();
  }
});

Deno.test("llamacpp provider turns a function call the model makes into a tool_call", async () => {
  await using tiny = await tinyModelStore(undefined, CALLING_MODEL);
  const provider = createLlamaCppProvider("llamacpp", { store: tiny.store, settings });
  try {
    const events = await collect(provider.stream({
      model: TINY_MODEL_ID,
      messages: [{ role: "user", content: "What time is it?" }],
      tools: [{
        name: "clock",
        description: "Current time in a zone",
        parameters: {
          type: "object",
          properties: { zone: { enum: ["UTC", "CET"] } },
          required: ["zone"],
        },
      }],
      maxTokens: 200,
      temperature: 0,
    }));
    const calls = events.filter((e) => e.type === "tool_call");
    assertEquals(calls.length, 1);
    const call = calls[0].type === "tool_call" ? calls[0].call : undefined;
    assertEquals(call?.name, "clock");
    assert(["UTC", "CET"].includes(JSON.parse(call!.arguments).zone), call?.arguments);
    const finish = events.at(-1)!;
    assert(finish.type === "finish");
    assertEquals(finish.reason, "tool_calls");
    assert((finish.usage?.completionTokens ?? 0) > 0, "the call's tokens are counted");
  } finally {
    await provider.close!();
  }
});

Deno.test("llamacpp provider holds its answer to response_format's JSON schema with a grammar", async () => {
  await using tiny = await tinyModelStore();
  const provider = createLlamaCppProvider("llamacpp", { store: tiny.store, settings });
  const ask = (responseFormat: Record<string, unknown>, tools?: boolean) =>
    collect(provider.stream({
      model: TINY_MODEL_ID,
      messages: [{ role: "user", content: "Answer in JSON" }],
      maxTokens: 60,
      temperature: 0,
      responseFormat,
      ...(tools
        ? { tools: [{ name: "clock", description: "", parameters: { type: "object" } }] }
        : {}),
    }));
  try {
    // A random-weight model writes only what the grammar allows: the one value the schema has.
    const events = await ask({
      type: "json_schema",
      json_schema: {
        name: "answer",
        schema: {
          type: "object",
          properties: { answer: { enum: ["yes"] }, sure: { const: true } },
          required: ["answer", "sure"],
          additionalProperties: false,
        },
      },
    });
    const text = events.map((e) => e.type === "text" ? e.text : "").join("");
    assertEquals(JSON.parse(text), { answer: "yes", sure: true });
    const finish = events.at(-1);
    assertEquals(finish?.type === "finish" && finish.reason, "stop");
    // What the grammar cannot hold together with tools, or a format there is none of, is refused.
    const both = await assertRejects(() => ask({ type: "json_object" }, true));
    assert(isProviderError(both) && both.kind === "bad_request", String(both));
    const unknown = await assertRejects(() => ask({ type: "yaml" }));
    assert(isProviderError(unknown) && unknown.kind === "bad_request", String(unknown));
  } finally {
    await provider.close!();
  }
});
