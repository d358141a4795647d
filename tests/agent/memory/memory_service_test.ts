import { join } from "node:path";
import { assert, assertEquals, assertRejects, waitFor } from "../../_helpers/assert.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { EventBus } from "../../../core/event_bus.ts";
import { Logger } from "../../../core/logger.ts";
import { statePaths } from "../../../core/paths.ts";
import { GatewayError } from "../../../core/errors.ts";
import { LocalModelStore } from "../../../agent/models/model_store.ts";
import { ProviderRegistry } from "../../../agent/providers/registry.ts";
import { MemoryService, type MemoryServiceDeps } from "../../../agent/memory/memory_service.ts";
import { SessionStore } from "../../../agent/sessions/session_store.ts";
import { CANDIDATE_CAP } from "../../../agent/memory/memory_db.ts";
import { VectorSet } from "../../../agent/memory/_vectors.ts";
import { memoryGetTool } from "../../../tools/memory/memory_get.ts";
import { toolContext } from "../../_helpers/tool_context.ts";

async function memoryFixture(
  memorySearch: Record<string, unknown> = {},
  list: unknown[] = [],
  deps: Partial<MemoryServiceDeps> = {},
  options: { followSessions?: boolean } = {},
) {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-memory-" });
  const paths = statePaths(root);
  const sessions = new SessionStore(paths);
  const parse = (memorySearch: Record<string, unknown>, list: unknown[]) =>
    configSchema().parse({
      agents: { defaults: { memorySearch: { sync: { watch: false }, ...memorySearch } }, list },
    });
  let config = parse(memorySearch, list);
  const bus = new EventBus();
  const service = new MemoryService({
    config: () => config,
    paths,
    bus,
    logger: new Logger({ consoleLevel: "silent" }),
    providers: new ProviderRegistry({ config: () => config }),
    localModels: new LocalModelStore(paths.modelsDir),
    localSettings: () => config.models.local,
    // As the gateway wires it (agent/runtime.ts): the store reports deletes and resets.
    ...(options.followSessions ? { sessions } : {}),
    ...deps,
  });
  await Deno.mkdir(join(paths.workspaceDir, "memory"), { recursive: true });
  return {
    paths,
    service,
    bus,
    sessions,
    write: (path: string, text: string) => Deno.writeTextFile(join(paths.workspaceDir, path), text),
    /** Swaps the config in force, as a reload does. */
    reconfigure(memorySearch: Record<string, unknown>, list: unknown[] = []) {
      config = parse(memorySearch, list);
    },
    async [Symbol.asyncDispose]() {
      await service.stop();
      await Deno.remove(root, { recursive: true });
    },
  };
}

Deno.test("memory search finds facts in MEMORY.md and memory/*.md, in English and Chinese", async () => {
  await using env = await memoryFixture();
  await env.write("MEMORY.md", "# Me\n\nMy cat is called Whiskers.\nI live in Lisbon.\n");
  await env.write("memory/2026-12-01.md", "今天我决定把猫的名字改成小花。\n我喜欢喝乌龙茶。\n");
  const english = await env.service.search("main", "whiskers");
  assertEquals(english.mode, "text");
  assertEquals(english.results[0].path, "MEMORY.md");
  assertEquals([english.results[0].startLine, english.results[0].endLine], [1, 4]);
  assert(english.results[0].snippet.includes("Whiskers"));
  // Two- and one-character Chinese words, below the trigram index's three characters.
  for (const query of ["小花", "猫", "乌龙茶", "猫的名字"]) {
    const hits = await env.service.search("main", query);
    assertEquals(hits.results[0]?.path, "memory/2026-12-01.md", query);
  }
  assertEquals((await env.service.search("main", "小狗")).results, []);
  const status = (await env.service.status("main"))[0];
  assertEquals([status.files, status.chunks, status.fts], [2, 2, "trigram"]);
  assert(status.dbPath.startsWith(env.paths.memoryDir));
});

Deno.test("memory index reindexes only the file that changed, and forgets removed files", async () => {
  await using env = await memoryFixture();
  await env.write("MEMORY.md", "The project codename is Bluebird.\n");
  await env.write("memory/notes.md", "Dentist on Tuesday.\n");
  const first = await (await env.service.index("main")).sync();
  assertEquals(first.reindexed.sort(), ["MEMORY.md", "memory/notes.md"]);
  await env.write("MEMORY.md", "The project codename is Redwing now.\n");
  const second = await (await env.service.index("main")).sync();
  assertEquals(second.reindexed, ["MEMORY.md"]);
  assertEquals((await env.service.search("main", "redwing")).results[0].path, "MEMORY.md");
  assertEquals((await env.service.search("main", "bluebird")).results, []);
  assertEquals((await env.service.search("main", "dentist")).results.length, 1);
  await Deno.remove(join(env.paths.workspaceDir, "memory/notes.md"));
  const third = await (await env.service.index("main")).sync();
  assertEquals(third.removed, ["memory/notes.md"]);
  assertEquals((await env.service.search("main", "dentist")).results, []);
});

Deno.test("memory search reads sessions as they grow, and summaries too", async () => {
  await using env = await memoryFixture();
  const time = "2026-12-01T10:00:00.000Z";
  await env.sessions.append("main", "trip", {
    role: "user",
    content: "I fly to Osaka on May 3",
    time,
  });
  await env.sessions.append("main", "trip", { role: "assistant", content: "Noted", time });
  const hits = await env.service.search("main", "osaka");
  assertEquals(hits.results[0].source, "sessions");
  assertEquals(hits.results[0].sessionId, "trip");
  assertEquals(hits.results[0].time, time);
  (await env.service.index("main")).markSessionDirty("trip");
  await env.sessions.append("main", "trip", {
    role: "user",
    content: [{ type: "text", text: "Book the ryokan in Kyoto too" }],
    time,
  });
  const grown = await env.service.search("main", "ryokan");
  assertEquals(grown.results[0].startLine, 3);
  // A compaction line's summary is searchable.
  await env.sessions.append("main", "trip", {
    role: "compaction",
    content: "User prefers aisle seats",
    time,
    keptFrom: 0,
    compactedFrom: 0,
    messagesCompacted: 3,
    tokensBefore: 100,
    tokensAfter: 10,
  });
  (await env.service.index("main")).markSessionDirty("trip");
  assertEquals((await env.service.search("main", "aisle seats")).results[0].startLine, 4);
  const got = await env.service.get("main", { id: grown.results[0].id });
  assert(got.text.includes("user: Book the ryokan in Kyoto too"), got.text);
  assert(got.text.includes("user: I fly to Osaka"), got.text);
});

Deno.test("memory index reads a long session in windows, and a rewritten one afresh", async () => {
  await using env = await memoryFixture();
  const time = "2026-12-01T10:00:00.000Z";
  const lines = Array.from(
    { length: 3_000 },
    (_, i) =>
      JSON.stringify({
        role: "user",
        content: `Message number ${i} ${"padding ".repeat(10)}`,
        time,
      }),
  );
  lines.push(JSON.stringify({ role: "user", content: "The last one mentions a zeppelin", time }));
  const file = env.sessions.file("main", "long");
  await Deno.mkdir(join(file, ".."), { recursive: true });
  await Deno.writeTextFile(file, lines.join("\n") + "\n"); // ~300 KB, more than one window
  const hit = (await env.service.search("main", "zeppelin")).results[0];
  assertEquals([hit.path, hit.endLine], ["sessions/long.jsonl", 3_001]);
  await Deno.writeTextFile(
    file,
    JSON.stringify({ role: "user", content: "Only a yacht", time }) + "\n",
  );
  (await env.service.index("main")).markSessionDirty("long");
  assertEquals((await env.service.search("main", "zeppelin")).results, []);
  assertEquals((await env.service.search("main", "yacht")).results[0].startLine, 1);
});

Deno.test("memory_get reads memory files and refuses anything else", async () => {
  await using env = await memoryFixture();
  await env.write("MEMORY.md", "one\ntwo\nthree\nfour\n");
  const got = await env.service.get("main", { path: "MEMORY.md", from: 2, lines: 2 });
  assertEquals([got.text, got.from, got.to, got.totalLines], ["two\nthree", 2, 3, 4]);
  const last = await env.service.get("main", { id: "MEMORY.md#L4-L9" });
  assertEquals([last.from, last.to, last.text], [1, 4, "one\ntwo\nthree\nfour"]);
  for (
    const [request, message] of [
      [{ id: "MEMORY.md#L50-L60" }, "Line 50 is past the end of MEMORY.md, which has 4 lines"],
      [{ path: "MEMORY.md", from: 10 }, "Line 10 is past the end of MEMORY.md, which has 4 lines"],
      [{ path: "MEMORY.md", from: 5 }, "Line 5 is past the end of MEMORY.md, which has 4 lines"],
      [{ id: "MEMORY.md#L3-L2" }, "Invalid memory id: MEMORY.md#L3-L2"],
      [{ id: "MEMORY.md#L0" }, "Invalid memory id: MEMORY.md#L0"],
    ] as const
  ) {
    const error = await assertRejects(() => env.service.get("main", request), GatewayError);
    assertEquals([error.code, error.message], ["INVALID_PARAMS", message]);
  }
  await env.write("memory/empty.md", "");
  const empty = await env.service.get("main", { path: "memory/empty.md" });
  assertEquals([empty.text, empty.totalLines], ["", 0]);
  for (
    const path of ["../pyclaw.json", "notes.txt", "memory/../MEMORY.md", "sessions/../x.jsonl"]
  ) {
    const error = await assertRejects(() => env.service.get("main", { path }), GatewayError);
    assertEquals(error.code, "INVALID_PARAMS", path);
  }
  const missing = await assertRejects(
    () => env.service.get("main", { path: "memory/nope.md" }),
    GatewayError,
  );
  assertEquals(missing.code, "NOT_FOUND");
  const agent = await assertRejects(() => env.service.search("ghost", "x y z"), GatewayError);
  assertEquals(agent.code, "NOT_FOUND");
});

Deno.test("memory_get tool heads its text with the lines read, or says the file is empty", async () => {
  await using env = await memoryFixture();
  await using t = await toolContext({ services: { memory: env.service } });
  await env.write("MEMORY.md", "one\ntwo\nthree\n");
  const got = await t.call(memoryGetTool, { path: "MEMORY.md", from: 2, lines: 1 });
  assertEquals(got.content, "MEMORY.md lines 2-2 of 3\ntwo");
  await env.write("memory/empty.md", "");
  const empty = await t.call(memoryGetTool, { path: "memory/empty.md" });
  assertEquals(empty.content, "memory/empty.md is empty\n");
  assertEquals(empty.isError, undefined);
});

Deno.test("memory search with sources [memory] leaves sessions out", async () => {
  await using env = await memoryFixture({ sources: ["memory"] });
  const time = new Date().toISOString();
  await env.sessions.append("main", "s1", { role: "user", content: "Remember pelican", time });
  assertEquals((await env.service.search("main", "pelican")).results, []);
});

Deno.test("memory search ranks a query matching more chunks than it scores exactly", async () => {
  await using env = await memoryFixture();
  // More matches than CANDIDATE_CAP: the newest are ranked by a BM25 of their own.
  for (let i = 0; i < CANDIDATE_CAP + 50; i++) {
    await env.write(`memory/day-${i}.md`, `Day ${i}: the weather was mild\n`);
  }
  await env.write("memory/zz-report.md", "Weather report: weather warning, stormy weather\n");
  const hits = await env.service.search("main", "weather report", { maxResults: 3 });
  assertEquals(hits.results[0].path, "memory/zz-report.md");
  const weather = await env.service.search("main", "weather", { maxResults: 3 });
  assertEquals(weather.results[0].path, "memory/zz-report.md");
  assertEquals(weather.results.length, 3);
});

Deno.test("vector set finds the nearest vectors and survives deletes", () => {
  const vectors = new VectorSet();
  const unit = (i: number) => Float32Array.from({ length: 4 }, (_, j) => (j === i % 4 ? 1 : 0));
  for (let id = 0; id < 3000; id++) vectors.set(id, unit(id));
  vectors.delete(Array.from({ length: 2000 }, (_, id) => id)); // compacts
  assertEquals(vectors.size, 1000);
  const nearest = vectors.nearest(unit(1), 3);
  assertEquals(nearest.map((hit) => [hit.id % 4, hit.similarity]), [[1, 1], [1, 1], [1, 1]]);
  assert(nearest.every((hit) => hit.id >= 2000));
  assertEquals(vectors.similarity(2001, unit(1)), 1);
  assertEquals(vectors.similarity(5, unit(1)), undefined);
});

Deno.test("an agent's own memorySearch settings win over the defaults", async () => {
  await using env = await memoryFixture({}, [
    { id: "private", memorySearch: { enabled: false } },
    { id: "notes", memorySearch: { sources: ["memory"] } },
  ]);
  const time = new Date().toISOString();
  await env.write("MEMORY.md", "Passport number is in the drawer\n");
  await env.sessions.append("notes", "s1", { role: "user", content: "Remember the pelican", time });
  await env.sessions.append("main", "s1", { role: "user", content: "Remember the pelican", time });
  assertEquals((await env.service.search("private", "passport")).disabled, true);
  assertEquals((await env.service.search("notes", "passport")).results[0].path, "MEMORY.md");
  assertEquals((await env.service.search("notes", "pelican")).results, []);
  assertEquals((await env.service.search("main", "pelican")).results[0].sessionId, "s1");
  const [status] = await env.service.status("notes");
  assertEquals([status.enabled, status.sources], [true, ["memory"]]);
});

Deno.test("memory service opens no index at start; the first finished turn catches up", async () => {
  await using fx = await memoryFixture({ sync: { watch: false, watchDebounceMs: 0 } });
  await fx.write("MEMORY.md", "The cat is called Whiskers.\n");
  const dbPath = join(fx.paths.memoryDir, "main.sqlite");
  fx.service.start();
  // A zero-delay timer set now fires after any the start set (timers of one delay keep order).
  await new Promise((resolve) => setTimeout(resolve, 0));
  assertEquals(await exists(dbPath), false);
  fx.bus.publish("chat.done", {
    agentId: "main",
    sessionId: "s1",
    usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    aborted: false,
  });
  await waitFor(() => exists(dbPath), 20_000, "the index");
  const { results } = await fx.service.search("main", "Whiskers");
  assertEquals(results.length, 1);
});

Deno.test("an index asked for while the memory service stops is never opened", async () => {
  // index() awaits its module first; a stop meanwhile closed every index it knew, so one opened
  // after it would keep its SQLite file open for good.
  await using fx = await memoryFixture();
  const asked = fx.service.index("main");
  await fx.service.stop();
  await assertRejects(() => asked, GatewayError, "stopped");
  assertEquals(await exists(join(fx.paths.memoryDir, "main.sqlite")), false);
});

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test("a finished turn's sync reads only the sessions marked; a full scan finds the rest", async () => {
  for (const fullScanIntervalMs of [undefined, 0]) {
    await using env = await memoryFixture(
      { sync: { watch: false, watchDebounceMs: 0 } },
      [],
      { fullScanIntervalMs },
    );
    const time = "2026-12-01T10:00:00.000Z";
    for (
      const [sessionId, content] of [["turn", "alpha"], ["other", "bravo"], ["gone", "charlie"]]
    ) {
      await env.sessions.append("main", sessionId, { role: "user", content, time });
    }
    env.service.start();
    const index = await env.service.index("main");
    const first = await index.sync(); // an index's first sync scans every session
    // Changed behind the service's back: the fixture's session store does not report to it.
    await env.sessions.append("main", "turn", { role: "assistant", content: "kumquat", time });
    await env.sessions.append("main", "other", { role: "user", content: "quince", time });
    await Deno.remove(env.sessions.file("main", "gone"));
    env.bus.publish("chat.done", {
      agentId: "main",
      sessionId: "turn",
      usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
      aborted: false,
    });
    const sync = await waitFor(
      () => {
        const last = index.status().lastSync;
        return last !== first ? last : undefined;
      },
      20_000,
      "the turn's sync",
    );
    if (fullScanIntervalMs === undefined) {
      // Within the hour since the index's first scan, the turn's session alone is read.
      assertEquals([sync.reindexed, sync.removed], [["sessions/turn.jsonl"], []]);
      assertEquals((await env.service.search("main", "quince")).results, []);
      await env.service.status("main"); // scans everything
    } else {
      // The full scan is due: the sync after the turn makes it.
      assertEquals(sync.reindexed.sort(), ["sessions/other.jsonl", "sessions/turn.jsonl"]);
      assertEquals(sync.removed, ["sessions/gone.jsonl"]);
    }
    assertEquals((await env.service.search("main", "kumquat")).results[0]?.sessionId, "turn");
    assertEquals((await env.service.search("main", "quince")).results[0]?.sessionId, "other");
    assertEquals((await env.service.search("main", "charlie")).results, []);
  }
});

Deno.test("memory search finds a note written just before it, watched or not, and lists no folder synchronously", async () => {
  for (const watch of [true, false]) {
    await using env = await memoryFixture({ sync: { watch, watchDebounceMs: 0 } });
    const memoryDir = join(env.paths.workspaceDir, "memory");
    const paths = async (query: string) =>
      (await env.service.search("main", query)).results.map((hit) => hit.path);
    await env.write("memory/2026-12-01.md", "Bought a kettle\n");
    await ageFolders(env.paths.workspaceDir, memoryDir);
    env.service.start();
    assertEquals(await paths("kettle"), ["memory/2026-12-01.md"], `watch ${watch}`);

    // With watchers and nothing changed, a search reuses the listing; without, it walks again.
    const calls = await fsCallsDuring(() => paths("kettle"));
    assertEquals(calls.filter((call) => call.includes("Sync ")), [], `watch ${watch}`);
    assertEquals(calls.some((call) => call.startsWith("readDir ")), !watch, `watch ${watch}`);

    // A new note (its folder's time moves) is found at once, before any watcher's event.
    await env.write("memory/2026-12-02.md", "Planted a kumquat tree\n");
    assertEquals(await paths("kumquat"), ["memory/2026-12-02.md"], `watch ${watch}`);
    // An edit in place leaves its folder's time: without watchers the next search's walk finds
    // it; with them, their event does, once the listing is reused again.
    await ageFolders(env.paths.workspaceDir, memoryDir);
    if (watch) {
      await waitFor(() => reusesListing(() => paths("kettle")), 20_000, "a reused listing");
    }
    await env.write("memory/2026-12-01.md", "Bought a teapot\n");
    if (!watch) assertEquals(await paths("teapot"), ["memory/2026-12-01.md"]);
    else await waitFor(async () => (await paths("teapot")).length === 1, 20_000, "the edit");
  }
});

Deno.test("memory search follows a memory folder made anew, whose old watcher sees nothing", async () => {
  await using env = await memoryFixture({ sync: { watch: true, watchDebounceMs: 0 } });
  const memoryDir = join(env.paths.workspaceDir, "memory");
  const paths = async (query: string) =>
    (await env.service.search("main", query)).results.map((hit) => hit.path);
  await env.write("memory/old.md", "A heron by the pond\n");
  env.service.start();
  assertEquals(await paths("heron"), ["memory/old.md"]);
  await Deno.remove(memoryDir, { recursive: true });
  await Deno.mkdir(memoryDir);
  await env.write("memory/new.md", "An owl in the barn\n");
  assertEquals(await paths("owl"), ["memory/new.md"]);
  assertEquals(await paths("heron"), []);
  // Once a search reuses its listing again, the folder is watched: an edit in place is found.
  await ageFolders(env.paths.workspaceDir, memoryDir);
  await waitFor(() => reusesListing(() => paths("owl")), 20_000, "a reused listing");
  await env.write("memory/new.md", "A kestrel on the post\n");
  await waitFor(async () => (await paths("kestrel")).length === 1, 20_000, "the edit");
});

Deno.test("memory search finds old sessions again once the sessions source is back", async () => {
  await using env = await memoryFixture();
  const time = "2026-12-01T10:00:00.000Z";
  await env.sessions.append("main", "trip", { role: "user", content: "A heron by the mill", time });
  await env.write("MEMORY.md", "The boat is called Marlin\n");
  const found = async (query: string) =>
    (await env.service.search("main", query)).results.map((hit) => hit.path);
  assertEquals(await found("heron"), ["sessions/trip.jsonl"]);
  // Left out, a source's rows leave the index, and no session is marked meanwhile.
  env.reconfigure({ sources: ["memory"] });
  assertEquals(await found("heron"), []);
  env.reconfigure({ sources: ["sessions"] });
  assertEquals(await found("marlin"), []);
  // Included again (a config reload), each is read whole by the next search, not in an hour.
  env.reconfigure({ sources: ["memory", "sessions"] });
  assertEquals(await found("heron"), ["sessions/trip.jsonl"]);
  assertEquals(await found("marlin"), ["MEMORY.md"]);
});

Deno.test("memory search finds the turns an agent had while its memory was off", async () => {
  await using env = await memoryFixture({ sync: { watch: false, watchDebounceMs: 0 } });
  env.service.start();
  const found = async () => (await env.service.search("main", "heron")).results.length;
  assertEquals(await found(), 0); // the index is open
  env.reconfigure({ enabled: false, sync: { watch: false, watchDebounceMs: 0 } });
  const time = "2026-12-01T10:00:00.000Z";
  await env.sessions.append("main", "trip", { role: "user", content: "A heron by the mill", time });
  turnDone(env.bus, "trip");
  env.reconfigure({ sync: { watch: false, watchDebounceMs: 0 } });
  assertEquals(await found(), 1);
});

Deno.test("a gateway only searched still makes the hourly full scan, in the background", async () => {
  await using env = await memoryFixture(
    { sync: { watch: false, watchDebounceMs: 0 } },
    [],
    { fullScanIntervalMs: 0 },
  );
  const time = "2026-12-01T10:00:00.000Z";
  await env.sessions.append("main", "gone", { role: "user", content: "A heron by the mill", time });
  const found = async () => (await env.service.search("main", "heron")).results.length;
  assertEquals(await found(), 1);
  // Removed by hand: nobody reports it, no turn or workspace event schedules a sync.
  await Deno.remove(env.sessions.file("main", "gone"));
  await waitFor(async () => await found() === 0, 20_000, "the full scan");
});

Deno.test("with sources [memory], a finished turn's sync reuses the watched listing", async () => {
  // A full scan is used up (and timed) also when sessions are left out: else every sync, each
  // asking for the hourly one, listed the memory files again.
  await using env = await memoryFixture({
    sources: ["memory"],
    sync: { watch: true, watchDebounceMs: 0 },
  });
  const memoryDir = join(env.paths.workspaceDir, "memory");
  await env.write("MEMORY.md", "A wren in the hedge\n");
  await ageFolders(env.paths.workspaceDir, memoryDir);
  env.service.start();
  const search = () => env.service.search("main", "wren");
  await waitFor(() => reusesListing(search), 20_000, "a reused listing");
  const index = await env.service.index("main");
  const calls = await fsCallsDuring(async (calls) => {
    turnDone(env.bus, "s1");
    // The turn's sync looks at the memory folder first (a stat to reuse, or a walk).
    await waitFor(() => calls.some((call) => call.startsWith(`stat ${memoryDir}`)), 20_000);
    await index.sync(); // queued after the turn's
  });
  assertEquals(calls.filter((call) => call.startsWith("readDir")), []);
});

Deno.test("memory search finds an edit made while its folder was not watched yet", async () => {
  // The listing taken then is reused once watchers cover the folder, and they report only what
  // changes after they start: starting one must have the next look list the files again.
  await using env = await memoryFixture({ sync: { watch: true, watchDebounceMs: 0 } });
  const paths = async (query: string) =>
    (await env.service.search("main", query)).results.map((hit) => hit.path);
  await env.write("memory/pantry.md", "Bought a kettle\n");
  await ageFolders(env.paths.workspaceDir, join(env.paths.workspaceDir, "memory"));
  assertEquals(await paths("kettle"), ["memory/pantry.md"]); // nothing watched yet
  await env.write("memory/pantry.md", "Bought a teapot and two cups\n"); // in place
  env.service.start();
  assertEquals(await paths("teapot"), ["memory/pantry.md"]);
});

Deno.test("memory service closes the watchers of folders the config no longer names", async () => {
  using watchers = trackWatchers();
  const sync = { watch: true, watchDebounceMs: 0 };
  await using env = await memoryFixture({ sync }, [{ id: "notes", workspace: "notes" }]);
  const root = env.paths.root;
  const folders = (workspace: string) => [workspace, join(workspace, "memory")];
  for (const name of ["notes", "moved"]) {
    await Deno.mkdir(join(root, name, "memory"), { recursive: true });
  }
  env.service.start();
  assertEquals(
    watchers.open(),
    [...folders(env.paths.workspaceDir), ...folders(join(root, "notes"))].sort(),
  );
  // A reload moves main's workspace and removes the other agent.
  env.reconfigure({ sync }, [{ id: "main", workspace: "moved" }]);
  env.bus.publish("config.changed", { changed: ["agents"] });
  assertEquals(watchers.open(), folders(join(root, "moved")));
  // Memory files left out of `sources`: nothing reads them, so nothing watches them.
  env.reconfigure({ sync, sources: ["sessions"] }, [{ id: "main", workspace: "moved" }]);
  env.bus.publish("config.changed", { changed: ["agents"] });
  assertEquals(watchers.open(), []);
  env.reconfigure({ sync }, [{ id: "main", workspace: "moved" }]);
  env.bus.publish("config.changed", { changed: ["agents"] });
  assertEquals(watchers.open(), folders(join(root, "moved")));
  // Turned off with no event (a config getter swapped underneath): the next sync closes them.
  env.reconfigure({ sync: { ...sync, watch: false } }, [{ id: "main", workspace: "moved" }]);
  turnDone(env.bus, "s1");
  await waitFor(() => watchers.open().length === 0, 20_000, "the watchers closed");
});

function turnDone(bus: EventBus, sessionId: string): void {
  bus.publish("chat.done", {
    agentId: "main",
    sessionId,
    usage: { promptTokens: 1, completionTokens: 1, totalTokens: 2 },
    aborted: false,
  });
}

/** Follows the watchers `Deno.watchFs` starts, until disposed: the folders of those still open. */
function trackWatchers() {
  const open = new Map<Deno.FsWatcher, string>();
  const original = Deno.watchFs;
  const deno = Deno as unknown as Record<string, unknown>;
  deno.watchFs = (paths: string | string[], options?: { recursive: boolean }) => {
    const watcher = original(paths, options);
    const close = watcher.close.bind(watcher);
    open.set(watcher, String(paths));
    watcher.close = () => {
      open.delete(watcher);
      close();
    };
    return watcher;
  };
  return {
    open: () => [...open.values()].sort(),
    [Symbol.dispose]: () => void (deno.watchFs = original),
  };
}

/** Sets folders' times an hour back: a listing made after a recent change is not reused. */
async function ageFolders(...dirs: string[]): Promise<void> {
  const past = new Date(Date.now() - 3_600_000);
  for (const dir of dirs) await Deno.utime(dir, past, past);
}

/** Whether `search` lists no folder: it reused the listing of the memory files. */
async function reusesListing(search: () => Promise<unknown>): Promise<boolean> {
  return (await fsCallsDuring(search)).every((call) => !call.startsWith("readDir"));
}

/** The `Deno` file system calls made while `work` runs (handed those so far), as `name path`. */
async function fsCallsDuring(
  work: (calls: readonly string[]) => Promise<unknown>,
): Promise<string[]> {
  const calls: string[] = [];
  const deno = Deno as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (const name of ["readDir", "lstat", "stat", "open", "mkdir"]) {
    for (const variant of [name, `${name}Sync`]) {
      const original = deno[variant] as (...args: unknown[]) => unknown;
      originals.set(variant, original);
      deno[variant] = function (this: unknown, ...args: unknown[]) {
        calls.push(`${variant} ${String(args[0])}`);
        return original.apply(this, args);
      };
    }
  }
  try {
    await work(calls);
  } finally {
    for (const [variant, original] of originals) deno[variant] = original;
  }
  return calls;
}

Deno.test("a sync that fails before its end leaves its full scan for the next one", async () => {
  const agents = [{ id: "main" }, { id: "other" }];
  await using env = await memoryFixture({}, agents);
  const index = await env.service.index("other");
  const sessions = env.paths.sessionsDir("other");
  await Deno.mkdir(sessions, { recursive: true });
  await Deno.writeTextFile(
    join(sessions, "kept.jsonl"),
    JSON.stringify({ role: "user", content: "The boat is called Osprey", time: "2026-01-01" }) +
      "\n",
  );
  // The agent's workspace cannot be found while it is out of the config: the first sync (a
  // full scan, as every index's first is) fails before it reads any session.
  env.reconfigure({}, [{ id: "main" }]);
  await assertRejects(() => index.sync());
  env.reconfigure({}, agents);
  const next = await index.sync();
  assertEquals(next.reindexed, ["sessions/kept.jsonl"]);
});

Deno.test("with memory off, a deleted session is marked but nothing is indexed", async () => {
  await using env = await memoryFixture({}, [], {}, { followSessions: true });
  const index = await env.service.index("main");
  await index.sync();
  env.reconfigure({ enabled: false });
  const time = "2026-01-01T00:00:00.000Z";
  await env.sessions.append("main", "kept", { role: "user", content: "Dentist on Tuesday", time });
  await env.sessions.append("main", "gone", { role: "user", content: "Passport renewal", time });
  const sync = index.sync.bind(index);
  let syncs = 0;
  index.sync = (options) => (syncs++, sync(options));
  await env.sessions.delete(join(env.paths.sessionsDir("main"), "gone.jsonl"));
  // No sync for the delete (which would have read the other session too): the mark waits.
  assertEquals(syncs, 0);
  assertEquals(index.status().files, 0);
  env.reconfigure({});
  const hits = await env.service.search("main", "dentist");
  assertEquals(hits.results.map((hit) => hit.path), ["sessions/kept.jsonl"]);
  assertEquals((await env.service.search("main", "passport")).results, []);
});
