/**
 * @module The session store's in-memory tails (issue 17): a warm read from the end opens no
 * file, and every way a file changes (own appends, a cut, a rewrite, a reset, a delete, another
 * session's delivery, an edit from outside) is seen by the next read, never served stale.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { statePaths } from "../../core/paths.ts";
import { loadSessionContext } from "../../agent/session_context.ts";
import { SessionDelivery } from "../../agent/session_delivery.ts";
import {
  type SessionEntry,
  type SessionMessage,
  SessionStore,
} from "../../agent/sessions/session_store.ts";

const user = (content: string): SessionMessage => ({ role: "user", content, time: "t" });

/** The contents of a read from the end, oldest first, and the files it opened. */
async function readTail(store: SessionStore, sessionId: string) {
  const opened: string[] = [];
  const open = Deno.open;
  Deno.open = (path, options) => {
    opened.push(String(path));
    return open(path, options);
  };
  try {
    const context = await loadSessionContext(store, "main", sessionId, Infinity);
    return { contents: context.messages.map((m) => m.message.content), opened };
  } finally {
    Deno.open = open;
  }
}

/**
 * Rewrites `file` from outside at the same size with a later mtime. Set, not waited for: the
 * kernel stamps files from a clock that moves in ticks, and a 5 ms pause left the same mtime in
 * 14 of 200 tries on this machine.
 */
async function rewriteLater(file: string, change: (text: string) => string): Promise<void> {
  const before = (await Deno.stat(file)).mtime!;
  await Deno.writeTextFile(file, change(await Deno.readTextFile(file)));
  await Deno.utime(file, new Date(), new Date(before.getTime() + 2_000));
}

async function withStore(test: (store: SessionStore, file: string) => Promise<void>) {
  const root = await Deno.makeTempDir();
  try {
    const store = new SessionStore(statePaths(root));
    await store.append("main", "s", user("one"), user("two"));
    await test(store, store.file("main", "s"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("a warm read from the end opens no file and sees the store's own appends", async () => {
  await withStore(async (store) => {
    assertEquals((await readTail(store, "s")).contents, ["one", "two"]);
    await store.append("main", "s", user("three"));
    const warm = await readTail(store, "s");
    assertEquals(warm.contents, ["one", "two", "three"]);
    assertEquals(warm.opened, []);
    // What the cache yields is what a read of the file gives, offsets included.
    const cached = await Array.fromAsync(store.backward("main", "s"));
    const fresh = await Array.fromAsync(store.backward("main", "s", Number.MAX_SAFE_INTEGER));
    assertEquals(cached, fresh);
    assert(Object.isFrozen(cached[0].entry), "shared entries are frozen");
  });
});

Deno.test("a cached entry's content parts are frozen too, so an edit in place throws", async () => {
  await withStore(async (store) => {
    const parts: SessionMessage = {
      role: "user",
      content: [{ type: "text", text: "look" }],
      time: "t",
    };
    await store.append("main", "s", parts);
    await readTail(store, "s");
    const [newest] = await Array.fromAsync(store.backward("main", "s"));
    const message = newest.entry as SessionMessage;
    assert(Array.isArray(message.content) && Object.isFrozen(message.content[0]));
  });
});

Deno.test("a cut, a rewrite, a reset and a delete are never served from the cache", async () => {
  await withStore(async (store, file) => {
    await readTail(store, "s");
    const [two] = await Array.fromAsync(store.backward("main", "s"));
    await store.truncate("main", "s", two.offset);
    assertEquals((await readTail(store, "s")).contents, ["one"]);
    // Back to the cut size with other text: the size alone would not tell.
    await store.append("main", "s", user("TWO"));
    assertEquals((await readTail(store, "s")).contents, ["one", "TWO"]);

    await store.replace("main", "s", [user("new"), user("ONE")] as SessionEntry[]);
    assertEquals((await readTail(store, "s")).contents, ["new", "ONE"]);
    await store.reset(file);
    assertEquals((await readTail(store, "s")).contents, []);
    await store.append("main", "s", user("after reset"));
    assertEquals((await readTail(store, "s")).contents, ["after reset"]);
    await store.delete(file);
    assertEquals((await readTail(store, "s")).contents, []);
    await store.append("main", "s", user("x"));
    assertEquals((await readTail(store, "s")).contents, ["x"]);
  });
});

Deno.test("edits from outside the store are read from the file", async () => {
  await withStore(async (store, file) => {
    await readTail(store, "s");
    await readTail(store, "s");
    // Same size, other bytes: the mtime tells.
    await rewriteLater(file, (text) => text.replace('"two"', '"TWO"'));
    assertEquals((await readTail(store, "s")).contents, ["one", "TWO"]);
    // Appended by another process: the size tells.
    await Deno.writeTextFile(file, JSON.stringify(user("three")) + "\n", { append: true });
    assertEquals((await readTail(store, "s")).contents, ["one", "TWO", "three"]);
    // Replaced by a rename (how editors save): the inode tells.
    await readTail(store, "s");
    const other = `${file}.tmp`;
    await Deno.writeTextFile(other, (await Deno.readTextFile(file)).replace("one", "ONE"));
    await Deno.rename(other, file);
    assertEquals((await readTail(store, "s")).contents, ["ONE", "TWO", "three"]);
  });
});

Deno.test("a delivery from another session and a compaction line reach the cached tail", async () => {
  await withStore(async (store) => {
    await readTail(store, "s");
    // How `sessions_send`'s and the message tool's posts reach another session.
    const delivery = new SessionDelivery(
      {
        sessions: store,
        channels: { deliverToSession: () => Promise.resolve() },
        onRunEvent: () => {},
      } as unknown as ConstructorParameters<typeof SessionDelivery>[0],
    );
    await delivery.post(
      { agentId: "main", sessionId: "s" },
      "from elsewhere",
      { agentId: "main", sessionId: "other" },
    );
    assertEquals((await readTail(store, "s")).contents, ["one", "two", "from elsewhere"]);
    const [, last] = await Array.fromAsync(store.backward("main", "s"));
    await store.append("main", "s", {
      role: "compaction",
      content: "summary",
      time: "t",
      keptFrom: last.offset,
      compactedFrom: 0,
      messagesCompacted: 1,
      tokensBefore: 10,
      tokensAfter: 5,
    });
    const context = await loadSessionContext(store, "main", "s", Infinity);
    assertEquals(context.compaction?.content, "summary");
    assertEquals(context.rangeStart, last.offset);
  });
});

Deno.test("the tail an append answers with is the file as its write leaves it, and builds a context with no stat", async () => {
  await withStore(async (store, file) => {
    await readTail(store, "s"); // the first read from the end keeps the tail
    const { tail, written } = await store.appendAndTail("main", "s", user("three"));
    // An append queued behind it waits for its write: the file keeps their order.
    const queued = store.append("main", "s", user("queued"));
    await written;
    await queued;
    assertEquals(
      (await Deno.readTextFile(file)).trim().split("\n").map((line) => JSON.parse(line).content),
      ["one", "two", "three", "queued"],
    );
    assertEquals(tail?.entries.map((located) => (located.entry as SessionMessage).content), [
      "one",
      "two",
      "three",
    ]);
    const fresh = await Array.fromAsync(store.backward("main", "s", Number.MAX_SAFE_INTEGER));
    assertEquals([...tail!.entries].reverse(), fresh.slice(1));
    const stats = await statsDuring(async () => {
      const context = await loadSessionContext(store, "main", "s", Infinity, tail);
      assertEquals(context.messages.map((m) => m.message.content), ["one", "two", "three"]);
      assert(tail!.entries.every((located) => Object.isFrozen(located.entry)));
    });
    assertEquals(stats, []);
    // A later append does not change a tail already handed out.
    await store.append("main", "s", user("four"));
    assertEquals(tail!.entries.length, 3);
    // Rewritten from outside at the same size after a read: the next append's stat drops the
    // tail (the mtime tells), rather than extending a stale one.
    await readTail(store, "s");
    await rewriteLater(file, (text) => text.replace('"one"', '"ONE"'));
    const after = await store.appendAndTail("main", "s", user("five"));
    assertEquals(after.tail, undefined);
    await after.written;
    assertEquals((await readTail(store, "s")).contents, [
      "ONE",
      "two",
      "three",
      "queued",
      "four",
      "five",
    ]);
  });
});

Deno.test("a turn's answer is appended with no stat, and one written onto a torn line from outside is read back", async () => {
  await withStore(async (store, file) => {
    await readTail(store, "s");
    await (await store.appendAndTail("main", "s", user("three"))).written;
    const stats = await statsDuring(() =>
      store.appendToTurn("main", "s", { role: "assistant", content: "answer", time: "t" })
    );
    assertEquals(stats, []);
    assertEquals((await readTail(store, "s")).contents, ["one", "two", "three", "answer"]);

    // Another process leaves half a line while the model runs: the answer lands on it.
    await (await store.appendAndTail("main", "s", user("four"))).written;
    await Deno.writeTextFile(file, '{"role":"user","content":"torn', { append: true });
    await store.appendToTurn("main", "s", { role: "assistant", content: "glued", time: "t" });
    const expected = ["one", "two", "three", "answer", "four", "glued"];
    assertEquals((await readTail(store, "s")).contents, expected);
    assertEquals((await store.read("main", "s")).map((entry) => entry.content), expected);
    // The next message's checked append sees the change and starts on a fresh line.
    await store.append("main", "s", user("five"));
    assertEquals((await readTail(store, "s")).contents, [...expected, "five"]);
    assert(
      (await Deno.readTextFile(file)).endsWith(
        '"glued","time":"t"}\n' + JSON.stringify(user("five")) + "\n",
      ),
    );
  });
});

Deno.test("a context that reaches past the tail it was given reads the rest from the file", async () => {
  await withStore(async (store) => {
    const tail = { from: 0, entries: [] };
    // An empty tail from byte 0 is a whole (empty) session; one from later needs the file.
    assertEquals((await loadSessionContext(store, "main", "s", Infinity, tail)).messages, []);
    const [two] = await Array.fromAsync(store.backward("main", "s"));
    const context = await loadSessionContext(store, "main", "s", Infinity, {
      from: two.offset,
      entries: [two],
    });
    assertEquals(context.messages.map((m) => m.message.content), ["one", "two"]);
  });
});

Deno.test("a read right after appendAndTail answered, its write still under way, sees the new line", async () => {
  // appendAndTail answers as soon as its check is done; with no cached tail the turn reads its
  // context from the file, and that read (or a compaction's scan) must wait for the write, or
  // the model is called without the user's new message (a review found 8 misses in 200 turns).
  const reads = {
    context: async (store: SessionStore) =>
      (await loadSessionContext(store, "main", "s", Infinity)).messages.map((m) =>
        m.message.content
      ),
    scan: async (store: SessionStore) =>
      (await Array.fromAsync(store.scanBackward("main", "s", () => true)))
        .map((line) => line.entry?.content).reverse(),
    forward: async (store: SessionStore) =>
      (await Array.fromAsync(store.forward("main", "s", 0))).map((line) => line.entry.content),
  };
  for (const [name, read] of Object.entries(reads)) {
    await withStore(async (store) => {
      // The append's write is held back a moment, as a slow disk or a busy thread pool would.
      const write = Deno.writeTextFile;
      Deno.writeTextFile = async (...args: Parameters<typeof write>) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return await write(...args);
      };
      try {
        const { tail } = await store.appendAndTail("main", "s", user("three"));
        assertEquals(tail, undefined, "nothing was read yet, so no tail is cached");
        assertEquals(await read(store), ["one", "two", "three"], `the ${name} read`);
      } finally {
        Deno.writeTextFile = write;
      }
      assertEquals(await store.size("main", "s"), (await Deno.stat(store.file("main", "s"))).size);
    });
  }
});

/** The paths `Deno.stat` and `Deno.lstat` are called with while `work` runs. */
async function statsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const stats: string[] = [];
  const { stat, lstat } = Deno;
  Deno.stat = (path) => {
    stats.push(String(path));
    return stat(path);
  };
  Deno.lstat = (path) => {
    stats.push(String(path));
    return lstat(path);
  };
  try {
    await work();
  } finally {
    Object.assign(Deno, { stat, lstat });
  }
  return stats;
}

Deno.test("a stat prepareAppend starts stands in for the next append's own", async () => {
  await withStore(async (store, file) => {
    await readTail(store, "s");
    let tail: Awaited<ReturnType<SessionStore["appendAndTail"]>>["tail"];
    const stats = await statsDuring(async () => {
      store.prepareAppend("main", "s");
      const appended = await store.appendAndTail("main", "s", user("three"));
      await appended.written;
      tail = appended.tail;
    });
    assertEquals(stats, [file]);
    assertEquals(tail?.entries.map((located) => (located.entry as SessionMessage).content), [
      "one",
      "two",
      "three",
    ]);
  });
});

Deno.test("an old stat from prepareAppend is not trusted: a change from outside since is seen", async () => {
  await withStore(async (store, file) => {
    await readTail(store, "s");
    store.prepareAppend("main", "s");
    await (await Deno.stat(file)); // its stat has answered by now, showing the file unchanged
    // Older than the store trusts one (PRESTAT_MS, 1 s): elapsed time, not a wait for an event.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await Deno.writeTextFile(file, JSON.stringify(user("outside")) + "\n", { append: true });
    const after = await store.appendAndTail("main", "s", user("three"));
    assertEquals(after.tail, undefined);
    await after.written;
    assertEquals((await readTail(store, "s")).contents, ["one", "two", "outside", "three"]);
  });
});

Deno.test("a stat from prepareAppend does not outlive a write of the store begun after it", async () => {
  await withStore(async (store) => {
    await readTail(store, "s");
    store.prepareAppend("main", "s");
    // Another run's answer gets in first (no stat of its own): the prepared stat, older than
    // that write, would show the file short of it, and the append would take it for a change
    // from outside and drop the tail. It stats anew and keeps the tail.
    const stats = await statsDuring(async () => {
      await store.appendToTurn("main", "s", user("answer"));
      const after = await store.appendAndTail("main", "s", user("three"));
      await after.written;
      assertEquals(after.tail?.entries.map((l) => (l.entry as SessionMessage).content), [
        "one",
        "two",
        "answer",
        "three",
      ]);
    });
    assertEquals(stats.length, 1);
  });
});
