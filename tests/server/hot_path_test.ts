/**
 * @module What a turn and a `/v1` request may cost in file system calls, counted rather than
 * timed (issue 17: `npm run bench:quick` is the timed check). A synchronous call stops every
 * client's stream while it runs, so none is allowed on a request path, not even the first; and a
 * warm turn has a budget of asynchronous calls, so a per-turn write or scan that creeps back in
 * fails here, with the list of calls in the message.
 */

import OpenAI from "openai";
import { assert, assertEquals, waitFor } from "../_helpers/assert.ts";
import { startChatGateway } from "../_helpers/chat_gateway.ts";
import { timersArmedDuring } from "../_helpers/timers.ts";

/** The `Deno` file system calls made while `work` runs, as `name path` strings. */
async function fsCallsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const calls: string[] = [];
  const deno = Deno as unknown as Record<string, unknown>;
  const originals = new Map<string, unknown>();
  for (const name of FS_CALLS) {
    for (const variant of [name, `${name}Sync`]) {
      const original = deno[variant];
      if (typeof original !== "function") continue;
      originals.set(variant, original);
      deno[variant] = function (this: unknown, ...args: unknown[]) {
        calls.push(`${variant} ${String(args[0])}`);
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
    }
  }
  try {
    await work();
  } finally {
    for (const [variant, original] of originals) deno[variant] = original;
  }
  return calls;
}

const FS_CALLS = [
  "open",
  "create",
  "stat",
  "lstat",
  "readFile",
  "readTextFile",
  "writeFile",
  "writeTextFile",
  "readDir",
  "mkdir",
  "remove",
  "rename",
  "realPath",
  "truncate",
  "chmod",
  "copyFile",
  "readLink",
  "makeTempDir",
  "makeTempFile",
];

/** Most asynchronous file system calls a warm `chat.send` turn in an existing session may make. */
const TURN_FS_BUDGET = 3;

/**
 * A memory-sync debounce longer than any test run: the background sync a turn schedules (1.5 s
 * after it by default) is not the turn's, and on a loaded machine it fired inside the window
 * counted here. The sync's own file system use is tested in tests/agent/memory/.
 */
const gatewayWithoutSync = () =>
  startChatGateway({
    config: {
      agents: {
        defaults: {
          model: "fake/gpt-test",
          memorySearch: { sync: { watchDebounceMs: 600_000 } },
        },
      },
    },
  });

Deno.test("a chat.send turn and /v1 requests make no synchronous file system call", async () => {
  await using env = await gatewayWithoutSync();
  env.upstream.setDefault({ chunks: ["Hel", "lo"], text: "Hello" });
  const client = await env.gw.connect();
  const openai = new OpenAI({
    baseURL: `${env.gw.baseUrl}/v1`,
    apiKey: env.gw.token!,
    maxRetries: 0,
  });
  const calls = await fsCallsDuring(async () => {
    // The first turn and requests of a fresh gateway too: lazy first uses count.
    for (const sessionId of ["one", "one", "two"]) {
      await client.request("chat.send", { message: "Hi", sessionId });
    }
    await openai.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "Hi" }],
    });
    const stream = await openai.chat.completions.create({
      model: "gpt-test",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
    });
    for await (const _ of stream) { /* read to the end */ }
  });
  assertEquals(calls.filter((call) => /^\w+Sync /.test(call)), []);
});

Deno.test("a warm chat.send turn stays within its budget of file system calls", async () => {
  await using env = await gatewayWithoutSync();
  env.upstream.setDefault({ chunks: ["Hel", "lo"] });
  const client = await env.gw.connect();
  await client.request("chat.send", { message: "Hi", sessionId: "warm" });
  await env.gw.gateway.services.usage.flush();
  // Usage records are batched off the turn's path (usage_store_test.ts): their write is not the
  // turn's, whenever its timer fires.
  const started = performance.now();
  const all = await fsCallsDuring(() =>
    client.request("chat.send", { message: "Again", sessionId: "warm" })
  );
  const seconds = (performance.now() - started) / 1000;
  // The local model index is checked for another process's `models pull` at most once a
  // second, off the turn's path (agent/models/model_store.ts): a turn on a busy machine may
  // come more than a second after the last check, and start one.
  const indexChecks = all.filter((call) => call.endsWith("/models/index.json"));
  assert(indexChecks.length <= 1 + Math.floor(seconds), `${indexChecks.length} in ${seconds} s`);
  const calls = all.filter((call) => !call.endsWith("usage.jsonl") && !indexChecks.includes(call));
  assert(
    calls.length <= TURN_FS_BUDGET,
    `${calls.length} file system calls in one turn (budget ${TURN_FS_BUDGET}):\n` +
      calls.join("\n"),
  );
  // The session file is not opened: its context comes from the store's cached tail as the user
  // message's append left it; its folder exists, and its last byte is known from the store's
  // last append. What is left is the message's stat and write, and the answer's write: the
  // store wrote the file last, and the next turn's stat sees any change from outside.
  assertEquals(calls.filter((call) => /^open .*warm\.jsonl$/.test(call)), []);
  assertEquals(calls.filter((call) => /^l?stat .*warm\.jsonl$/.test(call)).length, 1);
  assertEquals(calls.filter((call) => call.startsWith("mkdir")), []);
  // The skills folders were listed by the first turn; watchers say when to list them again.
  assertEquals(calls.filter((call) => call.startsWith("readDir")), []);
});

Deno.test("warm chat.send turns arm no timer each", async () => {
  // The sync timer the first turns armed is still pending, however slow the machine, so every
  // timer seen here was armed by a warm turn.
  await using env = await gatewayWithoutSync();
  env.upstream.setDefault({ chunks: ["Hel", "lo"] });
  const client = await env.gw.connect();
  const turns = (count: number) => async () => {
    for (let i = 0; i < count; i++) {
      await client.request("chat.send", { message: `Turn ${i}`, sessionId: "timers" });
    }
  };
  await turns(2)();
  const armed = await timersArmedDuring(turns(10));
  // Usage records are appended in batches (a timer per batch); the memory index's sync after
  // a quiet moment is one timer that turns move, not one per turn; the test's client times its
  // own requests. Nothing else arms any.
  const perTurn = armed.filter((timer) =>
    !timer.includes("/agent/usage_store.ts") && !timer.includes("/core/protocol/client.ts")
  );
  assertEquals(perTurn, []);
});

Deno.test("the memory index does not watch session files, which every turn reads and appends", async () => {
  const watched: string[] = [];
  const watchFs = Deno.watchFs;
  Deno.watchFs = (paths, options) => {
    watched.push(...[paths].flat());
    return watchFs(paths, options);
  };
  try {
    await using env = await startChatGateway({
      inProcess: true,
      config: {
        agents: {
          defaults: { model: "fake/gpt-test", memorySearch: { sync: { watchDebounceMs: 50 } } },
        },
      },
    });
    const index = await env.gw.gateway.services.memory.index("main");
    const client = await env.gw.connect();
    await client.request("chat.send", { sessionId: "watched", message: "Hi" });
    // The sync after the turn is when folders that exist by now start being watched.
    await waitFor(
      () => index.status().lastSync?.reindexed.includes("sessions/watched.jsonl"),
      20_000,
      "the turn's sync",
    );
    const sessionsDir = env.gw.paths.sessionsDir("main");
    assertEquals(watched.filter((path) => path.startsWith(sessionsDir)), []);
    // Without the watcher, the turn's chat.done is what gets its session read again.
    const first = index.status().lastSync?.at;
    await client.request("chat.send", { sessionId: "watched", message: "Again" });
    await waitFor(
      () => {
        const sync = index.status().lastSync;
        return sync?.at !== first && sync?.reindexed.includes("sessions/watched.jsonl");
      },
      20_000,
      "the second turn's sync",
    );
  } finally {
    Deno.watchFs = watchFs;
  }
});
