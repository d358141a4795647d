/** @module `session_status` (SessionDirectory.status) over a session file with compactions. */

import { assertEquals } from "../_helpers/assert.ts";
import { configSchema } from "../../core/config/schema.ts";
import { Logger } from "../../core/logger.ts";
import { statePaths } from "../../core/paths.ts";
import { SessionDirectory } from "../../agent/session_directory.ts";
import type { SessionDelivery } from "../../agent/session_delivery.ts";
import { type SessionEntry, SessionStore } from "../../agent/sessions/session_store.ts";

const usage = (prompt: number, completion: number) => ({
  promptTokens: prompt,
  completionTokens: completion,
  totalTokens: prompt + completion,
});

Deno.test("session_status counts messages but not compaction lines, sums every turn, and measures a local model against models.local.contextSize", async () => {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-session-status-" });
  try {
    const paths = statePaths(root);
    const config = configSchema().parse({ models: { local: { contextSize: 8192 } } });
    const sessions = new SessionStore(paths);
    const directory = new SessionDirectory({
      config: () => config,
      sessions,
      isActive: () => false,
      delivery: {} as SessionDelivery,
      logger: new Logger({ consoleLevel: "silent" }),
    });
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
