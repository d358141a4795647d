import { join } from "node:path";
import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { GatewayError } from "../../core/errors.ts";
import { statePaths } from "../../core/paths.ts";
import { SessionStore } from "../../agent/sessions/session_store.ts";

const user = (content: string) => ({ role: "user" as const, content, time: "t" });

async function setUp() {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-links-" });
  const store = new SessionStore(statePaths(join(root, "state")));
  const outside = join(root, "outside.jsonl");
  const before = '{"role":"user","content":"not a session","time":"t"}\n';
  await Deno.writeTextFile(outside, before);
  return {
    root,
    store,
    outside,
    before,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

/**
 * Runs `work` with the session file swapped for a link to `target` right after its `nth` lstat
 * (the last look before the file is opened).
 */
async function swappedAfterLstat<T>(
  file: string,
  target: string,
  nth: number,
  work: () => Promise<T>,
) {
  const lstat = Deno.lstat;
  let seen = 0;
  Deno.lstat = async (path) => {
    const info = await lstat(path);
    if (String(path) === file && ++seen === nth) {
      Deno.lstat = lstat;
      await Deno.remove(file);
      await Deno.symlink(target, file);
    }
    return info;
  };
  try {
    return await work();
  } finally {
    Deno.lstat = lstat;
  }
}

Deno.test("SessionStore appends nothing through a link swapped in between its lstat and its write", async () => {
  await using env = await setUp();
  const { store, outside, before } = env;
  await store.append("main", "s", user("one"));
  const file = store.file("main", "s");
  // Changed from outside: the next append takes the careful path (lstat, open, check).
  await Deno.writeTextFile(file, '{"role":"user","content":"two","time":"t"}\n', { append: true });
  // The append's own check, then the careful path's look just before it opens the file.
  const error = await swappedAfterLstat(
    file,
    outside,
    2,
    () => assertRejects(() => store.append("main", "s", user("three")), GatewayError),
  );
  assertEquals(error.code, "INVALID_PARAMS");
  assertEquals(await Deno.readTextFile(outside), before);
});

Deno.test("SessionStore cuts nothing through a link swapped in between its lstat and the cut", async () => {
  await using env = await setUp();
  const { store, outside, before } = env;
  await store.append("main", "s", user("one"));
  const file = store.file("main", "s");
  await swappedAfterLstat(file, outside, 1, async () => {
    const error = await assertRejects(() => store.truncate("main", "s", 0), GatewayError);
    assertEquals(error.code, "INVALID_PARAMS");
  });
  assertEquals(await Deno.readTextFile(outside), before);
});

Deno.test("SessionStore refuses a sessions folder swapped for a link after its first write", async () => {
  await using env = await setUp();
  const { root, store } = env;
  await store.append("main", "s", user("one"));
  const folder = store.paths.sessionsDir("main");
  const elsewhere = join(root, "elsewhere");
  await Deno.mkdir(elsewhere);
  const theirs = '{"role":"user","content":"someone else\'s","time":"t"}\n';
  await Deno.writeTextFile(join(elsewhere, "s.jsonl"), theirs);
  await Deno.rename(folder, join(root, "moved"));
  await Deno.symlink(elsewhere, folder);
  const error = await assertRejects(() => store.append("main", "s", user("two")), GatewayError);
  assertEquals(error.code, "INVALID_PARAMS");
  assertEquals(await Deno.readTextFile(join(elsewhere, "s.jsonl")), theirs);
});

Deno.test("a reset fences its session's running turn however many other sessions began turns since", async () => {
  await using env = await setUp();
  const { store } = env;
  await store.append("main", "a", user("hi"));
  const path = store.file("main", "a");
  store.beginTurn(path);
  // Other sessions' turns (sub-agents, channel chats, /v1 users) begin and end meanwhile.
  for (let i = 0; i < 1_100; i++) {
    const other = store.file("main", `s${i}`);
    store.endTurn(other, store.beginTurn(other));
  }
  await store.reset(path);
  await store.appendToTurn("main", "a", {
    role: "assistant",
    content: "late answer of the erased turn",
    time: "t",
  });
  assertEquals(await Deno.readTextFile(path), "");
});
