import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../_helpers/chat_gateway.ts";
import { startFakeTelegram } from "../_helpers/fake_telegram.ts";

const call = (name: string, args: Record<string, unknown> = {}) => ({ name, arguments: args });

Deno.test("sessions_send with wait: the other session answers and the answer comes back", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  env.upstream.reply(
    {
      toolCalls: [call("sessions_send", {
        agent_id: "main",
        session_id: "helper",
        message: "What is 2+2?",
        wait: true,
      })],
    },
    { text: "4" }, // the helper session's turn
    { text: "The helper says 4." },
  );
  await client.request("chat.send", { message: "Ask the helper session" });
  const [result] = events.named("chat.tool_result");
  assertEquals(result.isError, false);
  assertEquals(result.result, { agentId: "main", sessionId: "helper", sent: true, answer: "4" });
  // The helper's clients saw its run; its transcript says who asked.
  assert(events.named("chat.done").some((p) => p.sessionId === "helper"));
  const helper = await client.request(
    "chat.history",
    { sessionId: "helper" },
  );
  assertEquals(helper.messages.map((m) => [m.role, m.content]), [
    ["user", "[Message from session main/main] What is 2+2?"],
    ["assistant", "4"],
  ]);
  assertMatch(
    JSON.stringify(env.upstream.requests.at(-1)?.body.messages),
    /Answer from main\/helper:\\n4/,
  );
});

Deno.test("sessions_send: a wait that would close a cycle, the own session and unknown agents are refused", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  env.upstream.reply(
    {
      toolCalls: [
        call("sessions_send", { agent_id: "main", session_id: "main", message: "me" }),
        call("sessions_send", { agent_id: "ghost", session_id: "x", message: "hi" }),
        call("sessions_send", {
          agent_id: "main",
          session_id: "helper",
          message: "Ask me back",
          wait: true,
        }),
      ],
    },
    // helper's turn: it tries to wait on main, which waits on it
    {
      toolCalls: [
        call("sessions_send", { agent_id: "main", session_id: "main", message: "?", wait: true }),
      ],
    },
    { text: "I cannot ask back." },
    { text: "Done." },
  );
  await client.request("chat.send", { message: "go" });
  const results = events.named("chat.tool_result");
  const main = results.filter((r) => r.sessionId === "main");
  const helper = results.filter((r) => r.sessionId === "helper");
  assertEquals(main.map((r) => r.isError), [true, true, false]);
  assertMatch(main[0].result, /current session/);
  assertMatch(main[1].result, /Agent not found: ghost/);
  assertEquals(main[2].result.answer, "I cannot ask back.");
  assertEquals(helper.map((r) => r.isError), [true]);
  assertMatch(helper[0].result, /main\/main is waiting on this session/);
});

Deno.test("sessions_send: without wait the turn runs on its own; an abort of the waiting run stops the other's", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  env.upstream.reply(
    {
      toolCalls: [call("sessions_send", { agent_id: "main", session_id: "side", message: "fyi" })],
    },
  );
  env.upstream.setDefault({ text: "ok" });
  await client.request("chat.send", { message: "tell side" });
  await events.next("chat.done", (p) => p.sessionId === "side");
  assertEquals(events.named("chat.tool_result")[0].result, {
    agentId: "main",
    sessionId: "side",
    sent: true,
  });

  env.upstream.reply(
    {
      toolCalls: [call("sessions_send", {
        agent_id: "main",
        session_id: "slow",
        message: "take your time",
        wait: true,
      })],
    },
    { chunks: ["a", "b", "c", "d", "e", "f", "g", "h"], holdAfter: 1 },
  );
  const send = client.request("chat.send", { message: "ask slow" });
  await events.next("chat.delta", (p) => p.sessionId === "slow");
  await client.request("chat.abort", { sessionId: "main" });
  assertEquals((await send).aborted, true);
  const slow = await events.next("chat.done", (p) => p.sessionId === "slow");
  assertEquals(slow.aborted, true);
});

Deno.test("session_status, sessions_list and agents_list describe the gateway's sessions and agents", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: {
      agents: {
        defaults: { model: "fake/gpt-test" },
        list: [{ id: "main" }, { id: "helper", name: "Helper", model: "fake/gpt-other" }],
      },
    },
    models: ["gpt-test", "gpt-other"],
  });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  await client.request("chat.send", { message: "hello", agentId: "helper", sessionId: "h1" });
  env.upstream.reply(
    { text: "first", usage: { prompt: 100, completion: 20 } },
  );
  await client.request("chat.send", { message: "first turn" });
  env.upstream.reply(
    {
      toolCalls: [call("session_status"), call("sessions_list"), call("agents_list")],
      usage: { prompt: 200, completion: 30 },
    },
    { text: "Here is the status." },
  );
  await client.request("chat.send", { message: "status please" });
  const [status, list, agents] = events.named("chat.tool_result").map((r) => r.result);
  assertEquals(status.model, "fake/gpt-test");
  assertEquals([status.agentId, status.sessionId], ["main", "main"]);
  // The status call's own round is recorded before the tool runs.
  assertEquals(status.tokens, { prompt: 300, completion: 50, total: 350 });
  // Prices from config: $1 / $2 per million tokens.
  assert(Math.abs(status.cost - (300 * 1 + 50 * 2) / 1e6) < 1e-12, String(status.cost));
  // gpt-test is in no table and has no contextWindow in config: the run loop's default applies.
  assertEquals(status.context, { tokens: 230, window: 32_000, percent: 0.7 });
  assert(Date.parse(status.now) >= Date.parse(status.startedAt));
  const sessions = list.sessions.map((
    s: { agentId: string; sessionId: string; active: boolean },
  ) => [s.agentId, s.sessionId, s.active]).sort();
  assertEquals(sessions, [["helper", "h1", false], ["main", "main", true]]);
  assertEquals(agents.agents, [
    { id: "main", name: "Main", model: "fake/gpt-test", sessions: 1 },
    { id: "helper", name: "Helper", model: "fake/gpt-other", sessions: 1 },
  ]);
});

Deno.test("sessions_send to a channel session: its chat gets the answer, unless the channel never admitted that chat", async () => {
  await using telegram = await startFakeTelegram();
  await using env = await startChatGateway({
    inProcess: true,
    config: {
      channels: {
        telegram: {
          botToken: telegram.token,
          apiBaseUrl: telegram.url,
          pollTimeoutSec: 1,
          dmPolicy: "allowlist",
          allowFrom: [111],
        },
      },
    },
  });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  env.upstream.reply({ text: "hi alice" });
  telegram.push({ chatId: 111, fromId: 111, text: "hello" });
  await telegram.waitForSent(1);
  env.upstream.reply(
    {
      toolCalls: [
        call("sessions_send", {
          agent_id: "main",
          session_id: "telegram-111",
          message: "Tell alice the build is green",
          wait: true,
        }),
        call("sessions_send", {
          agent_id: "main",
          session_id: "telegram-999",
          message: "Tell a stranger",
          wait: true,
        }),
      ],
    },
    { text: "Alice, the build is green." },
    { text: "Stranger, hello." },
    { text: "Both asked." },
  );
  await client.request("chat.send", { message: "spread the news" });
  assertEquals(events.named("chat.tool_result").map((r) => r.result.answer), [
    "Alice, the build is green.",
    "Stranger, hello.",
  ]);
  // Deliveries finish before the tool returns, so nothing more is on its way.
  assertEquals(telegram.sent.map((m) => [String(m.chat_id), m.text]), [
    ["111", "hi alice"],
    ["111", "Alice, the build is green."],
  ]);
});

Deno.test("sessions_list with agent_id and agents_list read only the agents' own session folders", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: { agents: { list: [{ id: "main" }, { id: "helper" }] } },
  });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  await client.request("chat.send", { message: "hello", agentId: "helper", sessionId: "h1" });
  await client.request("chat.send", { message: "hello again", agentId: "helper", sessionId: "h2" });
  // A folder left by an agent no longer configured, that cannot be listed (a file where the
  // sessions folder goes): neither tool reads it.
  await Deno.mkdir(join(env.gw.paths.agentsDir, "ghost"), { recursive: true });
  await Deno.writeTextFile(env.gw.paths.sessionsDir("ghost"), "not a folder");
  // Not a session: counted by neither.
  await Deno.writeTextFile(join(env.gw.paths.sessionsDir("helper"), "notes.txt"), "x");
  env.upstream.reply(
    { toolCalls: [call("sessions_list", { agent_id: "helper", limit: 1 }), call("agents_list")] },
    { text: "Listed." },
  );
  await client.request("chat.send", { message: "list please" });
  const [list, agents] = events.named("chat.tool_result").map((r) => r.result);
  assertEquals(list.sessions.length, 1);
  assertEquals(list.sessions[0].agentId, "helper");
  assertEquals(
    agents.agents.map((a: { id: string; sessions: number }) => [a.id, a.sessions]),
    [["main", 1], ["helper", 2]],
  );
});
