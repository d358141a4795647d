import { join } from "node:path";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { startFakeOpenAI } from "../../_helpers/fake_openai.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";
import { TINY_MODEL_ID, tinyModelStore } from "../../_helpers/tiny_model.ts";
import { GatewayError } from "../../../core/errors.ts";

/** The text of the tool result the model got back in the last request. */
// deno-lint-ignore no-explicit-any
function lastToolResult(requests: { body?: any }[]): string {
  const messages = requests.at(-1)!.body.messages as { role: string; content: string }[];
  return messages.filter((m) => m.role === "tool").at(-1)!.content;
}

Deno.test("memory_search finds a fact told in another session, in English and in Chinese", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  env.upstream.reply({ text: "Noted" }, { text: "记住了" });
  await client.request("chat.send", {
    sessionId: "told",
    message: "My locker code is 4711 and my dog is called Bruno",
  });
  await client.request("chat.send", { sessionId: "told-zh", message: "我的狗叫旺财，住在杭州" });

  for (
    const [sessionId, query, fact, source] of [
      ["asked", "dog Bruno", "my dog is called Bruno", "sessions/told.jsonl"],
      ["asked-zh", "旺财", "我的狗叫旺财", "sessions/told-zh.jsonl"],
    ]
  ) {
    env.upstream.reply(
      { toolCalls: [{ name: "memory_search", arguments: { query, maxResults: 3 } }] },
      { text: "Found it" },
    );
    await client.request("chat.send", { sessionId, message: "What is my dog called?" });
    const result = lastToolResult(env.upstream.requests);
    assert(result.includes(fact), result);
    assert(result.includes(`[${source}#L1-L`), result);
  }
});

Deno.test("the system prompt tells the agent to search memory, unless memory tools are denied", async () => {
  for (const deny of [[], ["group:memory"]]) {
    await using env = await startChatGateway({ inProcess: true, config: { tools: { deny } } });
    const client = await env.gw.connect();
    await client.request("chat.send", { message: "Hi" });
    const system = env.upstream.requests[0].body.messages[0].content as string;
    assertEquals(system.includes("## Memory"), deny.length === 0, system);
    if (!deny.length) assertMatch(system, /call memory_search first/);
    if (!deny.length) assertMatch(system, /durable facts in MEMORY\.md/);
  }
});

Deno.test("memory.search picks up an edited MEMORY.md, reindexing that file only", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: { agents: { defaults: { memorySearch: { sync: { watch: false } } } } },
  });
  const client = await env.gw.connect();
  const workspace = join(env.gw.stateDir, "workspace");
  await Deno.mkdir(join(workspace, "memory"), { recursive: true });
  await Deno.writeTextFile(join(workspace, "MEMORY.md"), "Favourite colour: teal\n");
  await Deno.writeTextFile(join(workspace, "memory", "work.md"), "Standup at 9:30\n");
  const first = await client.request("memory.search", { query: "teal" });
  assertEquals(first.results.map((hit) => hit.id), ["MEMORY.md#L1-L1"]);

  await Deno.writeTextFile(join(workspace, "MEMORY.md"), "Favourite colour: saffron\n");
  const second = await client.request("memory.search", {
    query: "saffron",
    agentId: "main",
    limit: 1,
  });
  assertEquals(second.results[0].path, "MEMORY.md");
  assertEquals(
    (await client.request("memory.search", { query: "teal" })).results,
    [],
  );
  const status = await client.request("memory.status", { agentId: "main" });
  assertEquals(status.agents[0].lastSync?.reindexed, ["MEMORY.md"]);
  assertEquals([status.agents[0].files, status.agents[0].embedding], [2, null]);

  const rebuilt = await client.request("memory.reindex", {});
  assertEquals(rebuilt.agents[0].reindexed.sort(), ["MEMORY.md", "memory/work.md"]);

  for (
    const [params, code] of [[{}, "INVALID_PARAMS"], [
      { query: "x", agentId: "ghost" },
      "NOT_FOUND",
    ]] as const
  ) {
    const error = await assertRejects(() => client.request("memory.search", params), GatewayError);
    assertEquals(error.code, code);
  }
  assertMatch(JSON.stringify(await client.request("tools.list")), /memory_search/);
});

/** Vectors by meaning: one dimension per concept, so "feline" is near "cat" with no shared word. */
function concepts(text: string): number[] {
  const words = text.toLowerCase();
  return [
    /\b(cat|feline|whiskers|kitten)/,
    /\b(tea|oolong|coffee)/,
    /\b(flight|airport|fly)/,
  ].map((concept): number => (concept.test(words) ? 1 : 0)).concat([0.01]);
}

Deno.test("memory search ranks hybrid hits when an embedding provider is configured", async () => {
  await using upstream = await startFakeOpenAI({ apiKey: "sk-embed", embed: concepts });
  const memorySearch = { provider: "fake", model: "embed-test", sync: { watch: false } };
  await using gw = await startInProcessGateway({
    config: {
      models: { providers: { fake: { baseUrl: upstream.url, apiKey: "sk-embed" } } },
      agents: { defaults: { memorySearch } },
    },
  });
  const client = await gw.connect();
  const memoryDir = join(gw.stateDir, "workspace", "memory");
  await Deno.mkdir(memoryDir, { recursive: true });
  await Deno.writeTextFile(join(memoryDir, "pets.md"), "My cat is called Whiskers\n");
  await Deno.writeTextFile(join(memoryDir, "lions.md"), "The feline family includes lions\n");
  await Deno.writeTextFile(join(memoryDir, "drinks.md"), "I drink oolong every morning\n");

  const found = await client.request("memory.search", { query: "feline" });
  assertEquals(found.mode, "hybrid", found.warning);
  assertEquals(found.embedding, { provider: "fake", model: "embed-test" });
  // The note holding the word wins; the cat note is found by meaning alone; tea is not a cat.
  assertEquals(found.results.map((hit) => hit.path), ["memory/lions.md", "memory/pets.md"]);
  assert(found.results[0].score > found.results[1].score);
  const embedded = upstream.requests.filter((r) => r.path === "/v1/embeddings");
  assert(embedded.length >= 2 && embedded.every((r) => r.body.model === "embed-test"));
  const status = await client.request("memory.status", {});
  assertEquals(status.agents[0].embedded, status.agents[0].chunks);
  assertEquals(status.agents[0].embedding, { provider: "fake", model: "embed-test" });

  // Without the embedding provider, the same query finds only the word.
  await gw.configStore.patch({ agents: { defaults: { memorySearch: { provider: null } } } });
  const textOnly = await client.request("memory.search", { query: "feline" });
  assertEquals(textOnly.mode, "text");
  assertEquals(textOnly.results.map((hit) => hit.path), ["memory/lions.md"]);
});

Deno.test("memory search embeds with a downloaded GGUF when memorySearch.provider is local", async () => {
  await using gw = await startInProcessGateway({
    config: {
      models: { local: { threads: 1 } },
      agents: {
        defaults: {
          memorySearch: { provider: "local", model: TINY_MODEL_ID, sync: { watch: false } },
        },
      },
    },
  });
  const client = await gw.connect();
  await Deno.mkdir(join(gw.stateDir, "workspace"), { recursive: true });
  await Deno.writeTextFile(join(gw.stateDir, "workspace", "MEMORY.md"), "Bike lock code 2468\n");
  // Before the model is downloaded: full text, and a warning that says why.
  const early = await client.request("memory.search", { query: "bike lock" });
  assertEquals([early.mode, early.results[0].path], ["text", "MEMORY.md"]);
  assertMatch(early.warning!, /Embedding provider unusable.*downloaded model id/);
  await using _tiny = await tinyModelStore(gw.stateDir);
  // A model another process downloaded is noticed by the store's background check (about a
  // second), not on the very next request.
  let found = await client.request("memory.search", { query: "bike lock" });
  await waitFor(
    async () => {
      found = await client.request("memory.search", { query: "bike lock" });
      return found.mode === "hybrid";
    },
    20_000,
    "the downloaded embedding model in use",
  );
  assertEquals(found.mode, "hybrid", found.warning);
  assertEquals(found.embedding, { provider: "local", model: TINY_MODEL_ID });
  assertEquals(found.results[0].path, "MEMORY.md");
  const status = await client.request("memory.status", {});
  assertEquals([status.agents[0].embedded, status.agents[0].chunks], [1, 1]);
});

Deno.test("the gateway indexes an edited memory file and a finished turn in the background", async () => {
  const workspace = await Deno.makeTempDir({ prefix: "pyclaw-memory-ws-" });
  await Deno.mkdir(join(workspace, "memory"), { recursive: true });
  await using env = await startChatGateway({
    inProcess: true,
    config: {
      agents: { defaults: { workspace, memorySearch: { sync: { watchDebounceMs: 50 } } } },
    },
  });
  const index = await env.gw.gateway.services.memory.index("main");
  const reindexed = (path: string) => index.status().lastSync?.reindexed.includes(path);
  // No search runs here: the watcher and the turn's `chat.done` start the syncs.
  await Deno.writeTextFile(join(workspace, "memory", "garden.md"), "Tomatoes need water\n");
  await waitFor(() => reindexed("memory/garden.md"), 20_000, "the watcher's sync");
  const client = await env.gw.connect();
  await client.request("chat.send", { sessionId: "garden", message: "Plant basil in May" });
  await waitFor(() => reindexed("sessions/garden.jsonl"), 20_000, "the turn's sync");
  assertEquals(index.status().chunks, 2);
  // A deleted session leaves memory with it.
  await client.request("sessions.delete", { path: "agents/main/sessions/garden.jsonl" });
  const status = await client.request("memory.status", {});
  assertEquals([status.agents[0].chunks, status.agents[0].lastSync?.removed], [1, [
    "sessions/garden.jsonl",
  ]]);
  await Deno.remove(workspace, { recursive: true });
});

Deno.test("a deleted or reset session is not found by the next memory search", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    // No background sync runs here: only the delete or the reset itself may drop the session.
    config: {
      agents: { defaults: { memorySearch: { sync: { watch: false, watchDebounceMs: 600_000 } } } },
    },
  });
  const client = await env.gw.connect();
  env.upstream.reply({ text: "Noted" }, { text: "Noted" });
  await client.request("chat.send", { sessionId: "gone", message: "My safe word is periwinkle" });
  await client.request("chat.send", { sessionId: "emptied", message: "Bike lock: marigold 9182" });
  const found = async (query: string) =>
    (await client.request("memory.search", { query })).results.map((hit) => hit.path);
  assertEquals(await found("periwinkle"), ["sessions/gone.jsonl"]);
  assertEquals(await found("marigold"), ["sessions/emptied.jsonl"]);

  await client.request("sessions.delete", { path: "agents/main/sessions/gone.jsonl" });
  assertEquals(await found("periwinkle"), []);
  await client.request("sessions.reset", { path: "agents/main/sessions/emptied.jsonl" });
  assertEquals(await found("marigold"), []);
  // Their text left the index on disk too, not only the answers.
  assertEquals((await env.gw.gateway.services.memory.index("main")).status().chunks, 0);
});
