import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";
import { startFakeOpenAI } from "../../_helpers/fake_openai.ts";
import { GatewayError } from "../../../core/errors.ts";
import { ConfigStore } from "../../../core/config/store.ts";
import { Logger } from "../../../core/logger.ts";
import { statePaths } from "../../../core/paths.ts";
import { connectChecked } from "../../_helpers/contract.ts";
import { startGateway } from "../../../server/gateway.ts";

type Listed = { sessions: { agentId: string; file: string; path: string; size: number }[] };

Deno.test("sessions.list, preview, reset and delete work on real session files", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  await client.request("chat.send", { message: "one", sessionId: "alpha" });
  await client.request("chat.send", { message: "two", sessionId: "beta" });
  const listed = await client.request("sessions.list");
  const alpha = listed.sessions.find((s) => s.file === "alpha.jsonl")!;
  assertEquals(alpha.agentId, "main");
  assertEquals(alpha.path, join(env.gw.paths.sessionsDir("main"), "alpha.jsonl"));
  assert(alpha.size > 0);
  assertEquals(listed.sessions.length, 2);

  const preview = await client.request(
    "sessions.preview",
    { path: alpha.path, limit: 1 },
  );
  assertEquals(preview.messages.map((m) => m.content), ["Echo: one"]);
  // A path relative to the state dir names the same file.
  const relative = await client.request("sessions.preview", {
    path: "agents/main/sessions/alpha.jsonl",
  });
  assertEquals(relative.messages.length, 2);

  assertEquals(await client.request("sessions.reset", { path: alpha.path }), {
    reset: true,
    path: alpha.path,
  });
  assertEquals((await Deno.stat(alpha.path)).size, 0);
  const history = await client.request("chat.history", {
    sessionId: "alpha",
  });
  assertEquals(history.messages, []);

  const deleted = await client.request("sessions.delete", {
    path: alpha.path,
  });
  assertEquals(deleted.deleted, true);
  await assertRejects(() => Deno.stat(alpha.path), Deno.errors.NotFound);
  const gone = await assertRejects(
    () => client.request("sessions.preview", { path: alpha.path }),
    GatewayError,
  );
  assertEquals(gone.code, "NOT_FOUND");
});

Deno.test("sessions.reset and delete during a streamed answer leave nothing of it behind", async () => {
  await using env = await startChatGateway();
  const client = await env.gw.connect();
  const path = join(env.gw.paths.sessionsDir("main"), "slow.jsonl");
  for (const method of ["sessions.reset", "sessions.delete"]) {
    env.upstream.reply({ chunks: ["s0 ", "s1 ", "s2 "], holdAfter: 2 });
    const events = recordEvents(client);
    const sending = client.request("chat.send", { message: "Count", sessionId: "slow" });
    await events.next("chat.delta", (d) => d.delta === "s1 ");
    await client.request(method, { path });
    // The aborted run's partial answer was written before the reset, not after it.
    const answer = await sending;
    assertEquals(answer.aborted, true);
    events.stop();
    if (method === "sessions.reset") {
      assertEquals(await Deno.readTextFile(path), "");
      assertEquals((await client.request("chat.history", { sessionId: "slow" })).messages, []);
    } else {
      await assertRejects(() => Deno.stat(path), Deno.errors.NotFound);
    }
  }
});

Deno.test("sessions.reset during sessions.compact stops it before its line is written", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  await client.request("chat.send", { message: "one", sessionId: "fold" });
  await client.request("chat.send", { message: "two", sessionId: "fold" });
  const path = join(env.gw.paths.sessionsDir("main"), "fold.jsonl");
  const asked = Promise.withResolvers<void>();
  env.upstream.reply(() => {
    asked.resolve();
    return { text: "Summary", delayMs: 60_000 };
  });
  const compacting = client.request("sessions.compact", { path });
  compacting.catch(() => {});
  await asked.promise;
  await client.request("sessions.reset", { path });
  const error = await assertRejects(() => compacting, GatewayError);
  assertEquals(error.code, "ABORTED");
  assertEquals(await Deno.readTextFile(path), "");
});

Deno.test("sessions.compact reports a failed summary with the provider's code and message", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  await client.request("chat.send", { message: "one", sessionId: "fold" });
  await client.request("chat.send", { message: "two", sessionId: "fold" });
  const path = join(env.gw.paths.sessionsDir("main"), "fold.jsonl");
  const before = await Deno.readTextFile(path);
  env.upstream.reply({ error: { status: 429, retryAfter: 3 } });
  const limited = await assertRejects(
    () => client.request("sessions.compact", { path }),
    GatewayError,
  );
  assertEquals([limited.code, limited.details?.retryAfterMs], ["RATE_LIMITED", 3000]);
  assertMatch(limited.message, /rate limit/i);
  env.upstream.reply({ error: { status: 400, message: "Context too long for this model" } });
  const refused = await assertRejects(
    () => client.request("sessions.compact", { path }),
    GatewayError,
  );
  assertEquals(refused.code, "INVALID_PARAMS");
  assertMatch(refused.message, /Context too long for this model/);
  assertEquals(await Deno.readTextFile(path), before);
});

Deno.test("sessions.preview, reset and delete accept the file that sessions.list gives", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  await client.request("chat.send", { message: "one", sessionId: "alpha" });
  const listed = await client.request("sessions.list");
  const { file } = listed.sessions.find((s) => s.path.endsWith("alpha.jsonl"))!;
  assertEquals(file, "alpha.jsonl");
  const preview = await client.request("sessions.preview", {
    path: file,
  });
  assertEquals(preview.messages.map((m) => m.content), ["one", "Echo: one"]);
  assertEquals(
    (await client.request("sessions.reset", { path: file })).reset,
    true,
  );
  // The same file name under a second agent: a bare name is ambiguous, so it is refused.
  const other = join(env.gw.paths.sessionsDir("work"), "alpha.jsonl");
  await Deno.mkdir(join(other, ".."), { recursive: true });
  await Deno.writeTextFile(other, '{"role":"user","content":"theirs"}\n');
  const ambiguous = await assertRejects(
    () => client.request("sessions.delete", { path: file }),
    GatewayError,
  );
  assertEquals(ambiguous.code, "INVALID_PARAMS");
  assert(ambiguous.message.includes("main, work"), ambiguous.message);
  await Deno.remove(other);
  assertEquals(
    (await client.request("sessions.delete", { path: file })).deleted,
    true,
  );
  const gone = await assertRejects(
    () => client.request("sessions.preview", { path: file }),
    GatewayError,
  );
  assertEquals(gone.code, "NOT_FOUND");
  const notSession = await assertRejects(
    () => client.request("sessions.preview", { path: "/etc/passwd" }),
    GatewayError,
  );
  assert(notSession.message.startsWith("Not a session: /etc/passwd"), notSession.message);
});

Deno.test("sessions.* refuse paths outside the sessions folders without reading them", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  await client.request("chat.send", { message: "hi" });
  const outsideFile = join(env.gw.stateDir, "secret.jsonl");
  await Deno.writeTextFile(outsideFile, '{"role":"user","content":"secret"}\n');
  const sessionsDir = env.gw.paths.sessionsDir("main");
  await Deno.symlink(outsideFile, join(sessionsDir, "link.jsonl"));
  const attempts = [
    outsideFile,
    "../secret.jsonl",
    join(sessionsDir, "../../../secret.jsonl"),
    "agents/main/sessions/../../../secret.jsonl",
    "/etc/passwd",
    join(sessionsDir, "link.jsonl"),
    env.gw.configPath,
    join(sessionsDir, "main.jsonl\0"),
  ];
  for (const method of ["sessions.preview", "sessions.delete", "sessions.reset"]) {
    for (const path of attempts) {
      const error = await assertRejects(() => client.request(method, { path }), GatewayError);
      assertEquals(error.code, "INVALID_PARAMS", `${method} ${path}`);
    }
  }
  assertEquals(await Deno.readTextFile(outsideFile), '{"role":"user","content":"secret"}\n');
});

Deno.test("a torn last line is skipped on read and the next append stays readable", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  await client.request("chat.send", { message: "before", sessionId: "torn" });
  const file = join(env.gw.paths.sessionsDir("main"), "torn.jsonl");
  await Deno.writeTextFile(file, '{"role":"assistant","content":"half a li', { append: true });
  const history = await client.request("chat.history", {
    sessionId: "torn",
  });
  assertEquals(history.messages.map((m) => m.content), ["before", "Echo: before"]);
  await client.request("chat.send", { message: "after", sessionId: "torn" });
  const again = await client.request("chat.history", {
    sessionId: "torn",
  });
  assertEquals(again.messages.map((m) => m.content), [
    "before",
    "Echo: before",
    "after",
    "Echo: after",
  ]);
});

Deno.test("chat.history survives a gateway restart", async () => {
  await using upstream = await startFakeOpenAI();
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-test-" });
  const configPath = join(stateDir, "pyclaw.json");
  await Deno.writeTextFile(
    configPath,
    JSON.stringify({
      models: { providers: { fake: { baseUrl: upstream.url, models: [{ id: "gpt-test" }] } } },
    }),
  );
  const start = async () => {
    const env = { PYCLAW_STATE_DIR: stateDir };
    const configStore = await ConfigStore.open(configPath, { env, watch: false });
    const paths = statePaths(stateDir);
    const logger = new Logger({ file: paths.logFile, level: "debug", consoleLevel: "silent" });
    const gateway = await startGateway({
      configStore,
      paths,
      logger,
      env,
      port: 0,
      bind: "127.0.0.1",
      authToken: "restart-token-0123456789",
      httpPort: false,
    });
    const client = await connectChecked(gateway.url, { token: "restart-token-0123456789" });
    return {
      client,
      async close() {
        client.close();
        await client.closed;
        await gateway.close();
        configStore.close();
        logger.close();
      },
    };
  };
  try {
    const first = await start();
    await first.client.request("chat.send", { message: "remember me" });
    await first.close();
    const second = await start();
    const history = await second.client.request(
      "chat.history",
      { sessionId: "main" },
    );
    await second.close();
    assertEquals(history.messages.map((m) => m.content), ["remember me", "Echo: remember me"]);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("sessions.preview and chat.history page from the end with a cursor", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  const dir = env.gw.paths.sessionsDir("main");
  await Deno.mkdir(dir, { recursive: true });
  const path = join(dir, "paged.jsonl");
  const lines = Array.from(
    { length: 25 },
    (_, i) =>
      JSON.stringify({ role: i % 2 ? "assistant" : "user", content: `m${i}`, time: "2026-01-01" }),
  );
  // A torn line in the middle (an old crash) is skipped, never a page of its own.
  lines.splice(10, 0, '{"role":"user","content":"to');
  await Deno.writeTextFile(path, lines.join("\n") + "\n");

  const seen: string[] = [];
  let cursor: string | null | undefined;
  let pages = 0;
  do {
    const page = await client.request("sessions.preview", {
      path,
      limit: 10,
      ...(cursor ? { cursor } : {}),
    });
    seen.unshift(...page.messages.map((m) => String(m.content)));
    cursor = page.nextCursor;
    pages++;
  } while (cursor);
  assertEquals(pages, 3);
  assertEquals(seen, Array.from({ length: 25 }, (_, i) => `m${i}`));

  const last = await client.request("chat.history", { sessionId: "paged", limit: 3 });
  assertEquals(last.messages.map((m) => m.content), ["m22", "m23", "m24"]);
  const older = await client.request("chat.history", {
    sessionId: "paged",
    limit: 3,
    cursor: last.nextCursor ?? undefined,
  });
  assertEquals(older.messages.map((m) => m.content), ["m19", "m20", "m21"]);

  for (const cursor of ["7", "-1", "abc", "99999999"]) {
    const bad = await assertRejects(
      () => client.request("chat.history", { sessionId: "paged", cursor }),
      GatewayError,
    );
    assertEquals(bad.code, "INVALID_PARAMS");
  }
});

Deno.test("sessions.list with agentId reads only that agent's folder", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  await client.request("chat.send", { message: "one", sessionId: "alpha" });
  // Another agent's sessions folder that cannot be listed (here a file where the folder goes):
  // listing one agent never reads it, so never fails on it.
  await Deno.mkdir(join(env.gw.paths.agentsDir, "ghost"), { recursive: true });
  await Deno.writeTextFile(env.gw.paths.sessionsDir("ghost"), "not a folder");
  const main = await client.request("sessions.list", { agentId: "main" });
  assertEquals(main.sessions.map((s) => [s.agentId, s.file]), [["main", "alpha.jsonl"]]);
  for (const agentId of ["nobody", "../main"]) {
    const error = await assertRejects(
      () => client.request("sessions.list", { agentId }),
      GatewayError,
    );
    assertEquals([error.code, error.message], ["NOT_FOUND", `Agent not found: ${agentId}`]);
  }
  // An agent no longer in config still shows the sessions it left.
  await Deno.mkdir(env.gw.paths.sessionsDir("retired"), { recursive: true });
  await Deno.writeTextFile(join(env.gw.paths.sessionsDir("retired"), "old.jsonl"), "");
  const retired = await client.request("sessions.list", { agentId: "retired" });
  assertEquals(retired.sessions.map((s) => s.file), ["old.jsonl"]);
});
