/** @module `session_status` (SessionDirectory.status) over a session file with compactions. */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { configSchema } from "../../core/config/schema.ts";
import { Logger } from "../../core/logger.ts";
import { statePaths } from "../../core/paths.ts";
import { SessionDirectory } from "../../agent/session_directory.ts";
import type { SessionDelivery } from "../../agent/session_delivery.ts";
import { type SessionEntry, SessionStore } from "../../agent/sessions/session_store.ts";
import { bytesReadFrom } from "../_helpers/file_reads.ts";

const usage = (prompt: number, completion: number) => ({
  promptTokens: prompt,
  completionTokens: completion,
  totalTokens: prompt + completion,
});

Deno.test("session_status counts messages but not compaction lines, sums every turn, and measures a local model against models.local.contextSize", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-session-status-" });
  try {
    const { sessions, directory } = directoryAt(root, { models: { local: { contextSize: 8192 } } });
    const local = { provider: "llamacpp", model: "org/repo/small.gguf" };
    const entries: SessionEntry[] = [
      { role: "user", content: "first", time: "2026-01-01T00:00:00.000Z" },
      {
        role: "assistant",
        content: "a",
        time: "2026-01-01T00:00:01.000Z",
        ...local,
        usage: usage(1000, 100),
      },
      {
        role: "compaction",
        content: "summary",
        time: "2026-01-01T00:00:02.000Z",
        keptFrom: 0,
        compactedFrom: 0,
        messagesCompacted: 2,
        tokensBefore: 1100,
        tokensAfter: 50,
      },
      // A tool's output that merely mentions a usage key is counted, not taken for a turn.
      {
        role: "tool",
        content: '{"usage":{"promptTokens":999999}} ' + "x".repeat(200_000),
        time: "2026-01-01T00:00:03.000Z",
        toolCallId: "c1",
        name: "read",
      },
      { role: "user", content: "second", time: "2026-01-01T00:00:04.000Z" },
      {
        role: "assistant",
        content: "b",
        time: "2026-01-01T00:00:05.000Z",
        ...local,
        usage: usage(2000, 48),
      },
    ];
    await sessions.append("main", "s1", ...entries);
    const status = await directory.status({ agentId: "main", sessionId: "s1" });
    assertEquals(status.messages, 5);
    assertEquals(status.tokens, { prompt: 3000, completion: 148, total: 3148 });
    assertEquals(status.model, "llamacpp/org/repo/small.gguf");
    assertEquals([status.startedAt, status.updatedAt], [
      "2026-01-01T00:00:00.000Z",
      "2026-01-01T00:00:05.000Z",
    ]);
    // The newest turn against the local runtime's window, as the run loop sizes it.
    assertEquals(status.context, { tokens: 2048, window: 8192, percent: 25 });

    const empty = await directory.status({ agentId: "main", sessionId: "none" });
    assertEquals([empty.messages, empty.startedAt, empty.updatedAt], [0, null, null]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** A directory over a fresh state dir, with the store it reads. */
function directoryAt(root: string, settings: Record<string, unknown> = {}) {
  const config = configSchema().parse(settings);
  const sessions = new SessionStore(statePaths(root));
  const directory = new SessionDirectory({
    config: () => config,
    sessions,
    isActive: () => false,
    delivery: {} as SessionDelivery,
    logger: new Logger({ consoleLevel: "silent" }),
  });
  return { sessions, directory };
}

/** A turn: a question, a tool's large output, and a priced answer. */
function turn(i: number): SessionEntry[] {
  const time = new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  return [
    { role: "user", content: `question ${i}`, time },
    { role: "tool", content: "x".repeat(10_000), time, toolCallId: `c${i}`, name: "read" },
    {
      role: "assistant",
      content: `answer ${i}`,
      time,
      provider: "openai",
      model: "gpt-4o",
      usage: usage(100, 10),
    },
  ];
}

Deno.test("session_status reads only the lines a session appended since its last call", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-session-status-" });
  try {
    const { sessions, directory } = directoryAt(root);
    const key = { agentId: "main", sessionId: "heartbeat" };
    for (let i = 0; i < 100; i++) await sessions.append("main", "heartbeat", ...turn(i));
    const first = await directory.status(key);
    assertEquals([first.messages, first.tokens.total], [300, 11_000]);

    await sessions.append("main", "heartbeat", ...turn(100));
    const file = sessions.file("main", "heartbeat");
    let status!: Awaited<ReturnType<typeof directory.status>>;
    const read = await bytesReadFrom(file, async () => {
      status = await directory.status(key);
    });
    assertEquals(status.messages, 303);
    assertEquals(status.tokens, { prompt: 10_100, completion: 1_010, total: 11_110 });
    assertEquals(status.cost?.toFixed(6), (101 * (100 * 2.5 + 10 * 10) / 1e6).toFixed(6));
    assertEquals([status.startedAt, status.updatedAt], [
      "2026-01-01T00:00:00.000Z",
      "2026-01-01T00:01:40.000Z",
    ]);
    // The new turn (~10 KB) and the bytes that tell the file is the one counted, of ~1 MB.
    const size = (await Deno.stat(file)).size;
    assert(size > 1_000_000);
    assert(read < 20_000, `read ${read} bytes of ${size}`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("session_status counts a session anew after a cut, a rewrite from outside, or a torn line", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-session-status-" });
  try {
    const { sessions, directory } = directoryAt(root);
    const key = { agentId: "main", sessionId: "s1" };
    const file = sessions.file("main", "s1");
    await sessions.append("main", "s1", ...turn(0));
    const cut = await sessions.append("main", "s1", ...turn(1));
    assertEquals((await directory.status(key)).messages, 6);

    // Resend cuts the last turn off through the store, and a shorter answer replaces it.
    await sessions.truncate("main", "s1", cut);
    await sessions.append("main", "s1", { role: "user", content: "again", time: "t2" });
    const afterCut = await directory.status(key);
    assertEquals([afterCut.messages, afterCut.tokens.total, afterCut.updatedAt], [4, 110, "t2"]);

    // Rewritten by hand to as many bytes: a message becomes a model turn, the line after it kept.
    const message = { role: "user" as const, content: "y".repeat(300), time: "t3" };
    await sessions.append("main", "s1", message, { role: "user", content: "v", time: "t4" });
    assertEquals((await directory.status(key)).tokens.total, 110);
    const before = JSON.stringify(message);
    const answer = { ...turn(9)[2], content: "" };
    answer.content = "z".repeat(before.length - JSON.stringify(answer).length);
    const text = await Deno.readTextFile(file);
    await Deno.writeTextFile(file, text.replace(before, JSON.stringify(answer)));
    assertEquals((await Deno.stat(file)).size, new TextEncoder().encode(text).length);
    assertEquals((await directory.status(key)).tokens.total, 220);
    // Replaced by a shorter file.
    await Deno.writeTextFile(file, JSON.stringify(turn(5)[0]) + "\n");
    const rewritten = await directory.status(key);
    assertEquals([rewritten.messages, rewritten.tokens.total], [1, 0]);
    assertEquals(rewritten.startedAt, "2026-01-01T00:00:05.000Z");

    // A torn last line (a crash mid-append) counts as nothing, and is not kept as counted.
    await Deno.writeTextFile(file, '{"role":"assistant","content":"ha', { append: true });
    assertEquals((await directory.status(key)).messages, 1);
    await sessions.append("main", "s1", ...turn(6));
    // Once not the newest, the torn line is counted unread, as such lines always were.
    const mended = await directory.status(key);
    assertEquals([mended.messages, mended.tokens.total, mended.model], [5, 110, "openai/gpt-4o"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
