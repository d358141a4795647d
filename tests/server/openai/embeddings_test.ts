import OpenAI from "openai";
import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { bagOfWords } from "../../_helpers/fake_embeddings.ts";
import { startFakeOpenAI } from "../../_helpers/fake_openai.ts";
import { startTestGateway } from "../../_helpers/gateway.ts";
import { TINY_MODEL_ID, tinyModelStore } from "../../_helpers/tiny_model.ts";

function normalized(vector: number[]): number[] {
  const norm = Math.hypot(...vector);
  return vector.map((x) => Math.fround(x / norm));
}

Deno.test("/v1/embeddings answers the official openai client through the embedding provider", async () => {
  await using upstream = await startFakeOpenAI({ apiKey: "sk-embed" });
  await using gw = await startTestGateway({
    config: {
      models: { providers: { fake: { baseUrl: upstream.url, apiKey: "sk-embed" } } },
      agents: { defaults: { memorySearch: { provider: "fake", model: "embed-test" } } },
    },
  });
  const openai = new OpenAI({ baseURL: `${gw.baseUrl}/v1`, apiKey: gw.token!, maxRetries: 0 });

  // The SDK asks for base64 by default and decodes it.
  const created = await openai.embeddings.create({
    model: "embed-test",
    input: ["my cat Whiskers", "oolong tea"],
  });
  assertEquals(created.object, "list");
  assertEquals(created.model, "embed-test");
  assertEquals(created.data.map((item) => item.index), [0, 1]);
  assertEquals(created.data[0].embedding, normalized(bagOfWords("my cat Whiskers")));
  assert(created.usage.prompt_tokens > 0);

  const floats = await openai.embeddings.create({
    model: "fake/other-model",
    input: "oolong tea",
    encoding_format: "float",
    dimensions: 8,
  });
  assertEquals(floats.data[0].embedding.length, 8);
  assertEquals(upstream.requests.at(-1)!.body.model, "other-model");
  assertEquals(upstream.requests.at(-1)!.headers.get("authorization"), "Bearer sk-embed");

  const unknown = await assertRejects(
    () => openai.embeddings.create({ model: "no-such-model", input: "x" }),
    OpenAI.NotFoundError,
  );
  assertEquals(unknown.status, 404);
  const empty = await assertRejects(
    () => openai.embeddings.create({ model: "embed-test", input: [] }),
    OpenAI.BadRequestError,
  );
  assertEquals(empty.status, 400);
  // OpenAI's token form, which the gateway cannot read, is refused in words that say so.
  for (const input of [[101, 2023], [[101], [2023, 102]]]) {
    const tokens = await assertRejects(
      () => openai.embeddings.create({ model: "embed-test", input }),
      OpenAI.BadRequestError,
    );
    assertEquals(tokens.param, "input");
    assertMatch(tokens.message, /token arrays are not supported/);
  }
  const tooMany = await assertRejects(
    () => openai.embeddings.create({ model: "embed-test", input: Array(2049).fill("x") }),
    OpenAI.BadRequestError,
  );
  assertMatch(tooMany.message, /at most 2048 inputs/);
});

Deno.test("/v1/embeddings runs a downloaded GGUF through node-llama-cpp", async () => {
  // The model is on disk before the gateway starts, as after `pyclaw models download`: the store
  // reads its index at start (a model downloaded later is noticed by a background check).
  await using tiny = await tinyModelStore();
  await using gw = await startTestGateway({
    stateDir: tiny.stateDir,
    config: { models: { local: { threads: 1 } } },
  });
  const openai = new OpenAI({ baseURL: `${gw.baseUrl}/v1`, apiKey: gw.token!, maxRetries: 0 });
  const created = await openai.embeddings.create({
    model: `llamacpp/${TINY_MODEL_ID}`,
    input: ["hello world", "goodbye"],
    encoding_format: "float",
  });
  assertEquals(created.data.length, 2);
  const [first, second] = created.data.map((item) => item.embedding);
  assert(first.length > 0 && first.length === second.length);
  assert(Math.abs(Math.hypot(...first) - 1) < 1e-3, "normalised");
  assert(first.some((x, i) => x !== second[i]), "different texts, different vectors");
  // Longer than the model's context: embedded by its beginning, not refused.
  const long = await openai.embeddings.create({
    model: `llamacpp/${TINY_MODEL_ID}`,
    input: "word ".repeat(20_000),
    encoding_format: "float",
  });
  assertEquals(long.data[0].embedding.length, first.length);
});
