import { join } from "node:path";
import { z } from "zod";
import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";
import { GatewayError } from "../../../core/errors.ts";
import { defineTool } from "../../../tools/tool.ts";
import { runTurn } from "../../../agent/turn_runner.ts";

const echoTool = defineTool({
  name: "echo",
  description: "Repeats the text",
  parameters: z.object({ text: z.string() }),
  run: ({ text }) => Promise.resolve({ content: `echo: ${text}`, data: { echoed: text } }),
});

Deno.test("chat.send streams deltas then done, answers completed and writes the session", async () => {
  await using env = await startChatGateway({ inProcess: true });
  env.upstream.reply({ chunks: ["Hel", "lo!"], usage: { prompt: 12, completion: 2 } });
  const client = await env.gw.connect();
  const events = recordEvents(client);
  const answer = await client.request("chat.send", {
    message: "Hi\u0007 there",
  });
  assertEquals(answer.completed, true);
  const chat = events.frames.filter((f) => f.event.startsWith("chat."));
  assertEquals(chat.map((f) => f.event), ["chat.delta", "chat.delta", "chat.done"]);
  assertEquals(chat[0].payload, {
    sessionId: "main",
    agentId: "main",
    delta: "Hel",
    role: "assistant",
  });
  assert(chat[1].seq > chat[0].seq && chat[2].seq > chat[1].seq);
  const done = events.named("chat.done")[0];
  assertEquals(done.sessionId, "main");
  assertEquals(done.usage, { promptTokens: 12, completionTokens: 2, totalTokens: 14 });

  const body = env.upstream.requests[0].body;
  assertEquals(body.model, "gpt-test");
  assertEquals(body.messages[0].role, "system");
  assertMatch(body.messages[0].content, /Current date and time: .+time zone/);
  assertEquals(body.messages.at(-1), { role: "user", content: "Hi there" });

  const history = await client.request("chat.history", {
    sessionId: "main",
  });
  assertEquals(history.messages.map((m) => [m.role, m.content]), [
    ["user", "Hi there"],
    ["assistant", "Hello!"],
  ]);
  const file = await Deno.readTextFile(env.gw.paths.sessionsDir("main") + "/main.jsonl");
  assertEquals(file.trim().split("\n").length, 2);
});

Deno.test("chat.send runs a scripted tool call and feeds the result back", async () => {
  await using env = await startChatGateway({ inProcess: true });
  env.gw.gateway.services.tools.register(echoTool);
  env.upstream.reply(
    { toolCalls: [{ name: "echo", arguments: { text: "ping" }, id: "call_1" }] },
    { text: "The tool said ping" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  const answer = await client.request("chat.send", {
    message: "Use echo",
    sessionId: "tools",
  });
  assertEquals(answer.completed, true);
  const chat = events.frames.filter((f) => f.event.startsWith("chat."));
  assertEquals(chat.map((f) => f.event), [
    "chat.tool_call",
    "chat.tool_result",
    "chat.delta",
    "chat.delta",
    "chat.delta",
    "chat.delta",
    "chat.done",
  ]);
  const call = events.named("chat.tool_call")[0];
  assertEquals([call.sessionId, call.tool, call.args], ["tools", "echo", { text: "ping" }]);
  const result = events.named("chat.tool_result")[0];
  assertEquals([result.tool, result.result], ["echo", { echoed: "ping" }]);

  const [first, second] = env.upstream.requests.map((r) => r.body);
  // deno-lint-ignore no-explicit-any
  const echo = first.tools.find((t: any) => t.function.name === "echo");
  assertEquals(echo.function.parameters.properties.text.type, "string");
  const tail = second.messages.slice(-2);
  assertEquals(tail[0].tool_calls[0].function, { name: "echo", arguments: '{"text":"ping"}' });
  assertEquals(tail[1], { role: "tool", tool_call_id: "call_1", content: "echo: ping" });
  const done = events.named("chat.done")[0];
  assertEquals(done.usage.totalTokens, 10 + 1 + 10 + 4);
});

Deno.test("chat.send stops offering tools at agents.defaults.maxIterations", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: { agents: { defaults: { model: "fake/gpt-test", maxIterations: 2 } } },
  });
  env.gw.gateway.services.tools.register(echoTool);
  env.upstream.setDefault((request) =>
    request.body.tools
      ? { toolCalls: [{ name: "echo", arguments: { text: "again" } }] }
      : { text: "Giving up on tools" }
  );
  const client = await env.gw.connect();
  const answer = await client.request("chat.send", { message: "Loop" });
  assertEquals(answer.completed, true);
  assertEquals(env.upstream.requests.length, 2);
  assert(env.upstream.requests[0].body.tools);
  assertEquals(env.upstream.requests[1].body.tools, undefined);
});

Deno.test("chat.send ends at maxIterations when the model keeps calling tools it was not offered", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: { agents: { defaults: { model: "fake/gpt-test", maxIterations: 3 } } },
  });
  env.gw.gateway.services.tools.register(echoTool);
  // A model that calls the tool whether or not any tool is offered.
  env.upstream.setDefault({
    text: "Looking",
    toolCalls: [{ name: "echo", arguments: { text: "x" } }],
  });
  const client = await env.gw.connect();
  const events = recordEvents(client);
  const answer = await client.request("chat.send", { message: "Loop", sessionId: "loop" });
  assertEquals(answer.completed, true);
  assertEquals(env.upstream.requests.length, 3);
  assertEquals(env.upstream.requests.map((r) => r.body.tools !== undefined), [true, true, false]);
  // The two rounds that offered the tool ran it; the last round's call was not run.
  assertEquals(events.named("chat.tool_result").length, 2);
  // Why it stopped is a field, not words put in the model's mouth.
  const done = events.named("chat.done")[0];
  assertEquals([done.aborted, done.stopReason], [false, "toolLimit"]);
  const streamed = events.named("chat.delta").map((d) => d.delta).join("");
  assertEquals(streamed, "LookingLookingLooking");
  const history = await client.request("chat.history", { sessionId: "loop" });
  const last = history.messages.at(-1)!;
  assert(last.role === "assistant");
  assertEquals(last.toolCalls, undefined);
  assertEquals(last.unrunToolCalls?.map((call) => call.name), ["echo"]);
  assertEquals([last.content, last.stopReason], ["Looking", "toolLimit"]);
  assertEquals(history.messages.filter((m) => m.role === "tool").length, 2);

  // The next turn's context holds no call without its result, and the model's own words only.
  env.upstream.setDefault({ text: "Fine" });
  await client.request("chat.send", { message: "Go on", sessionId: "loop" });
  const next = env.upstream.requests.at(-1)!.body;
  const asked = next.messages.flatMap((m: { tool_calls?: unknown[] }) => m.tool_calls ?? []);
  assertEquals(asked.length, 2);
  const said = next.messages.filter((m: { role: string }) => m.role === "assistant")
    .map((m: { content: unknown }) => m.content);
  assertEquals(said.at(-1), "Looking");
  // A text-only caller (a channel's reply, a report) gets a note from the stop reason.
  assertMatch(
    await runTurn(env.gw.gateway.services.chat, {
      agentId: "main",
      sessionId: "loop",
      message: "Again",
    }),
    /^Fine$/,
  );
  env.upstream.setDefault({
    text: "Looking",
    toolCalls: [{ name: "echo", arguments: { text: "x" } }],
  });
  assertMatch(
    await runTurn(env.gw.gateway.services.chat, {
      agentId: "main",
      sessionId: "loop",
      message: "Again",
    }),
    /^Looking\n\n\[Stopped: this agent's limit of tool rounds \(maxIterations\)/,
  );
});

Deno.test("chat.send does not run tool calls when the turn offers no tools", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: { agents: { defaults: { model: "fake/gpt-test", tools: { deny: ["*"] } } } },
  });
  env.upstream.setDefault({ toolCalls: [{ name: "echo", arguments: { text: "x" } }] });
  const client = await env.gw.connect();
  const events = recordEvents(client);
  const answer = await client.request("chat.send", { message: "Loop" });
  assertEquals(answer.completed, true);
  assertEquals(env.upstream.requests.length, 1);
  assertEquals(events.named("chat.tool_call"), []);
  assertEquals(events.named("chat.delta"), []);
  assertEquals(events.named("chat.done")[0].stopReason, "noTools");
});

Deno.test("chat.send with maxIterations 1 says the turn offered no tools, not that a limit stopped them", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: { agents: { defaults: { model: "fake/gpt-test", maxIterations: 1 } } },
  });
  env.gw.gateway.services.tools.register(echoTool);
  env.upstream.setDefault({ text: "Hm", toolCalls: [{ name: "echo", arguments: { text: "x" } }] });
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "Loop", sessionId: "one" });
  assertEquals(env.upstream.requests[0].body.tools, undefined);
  assertEquals(events.named("chat.done")[0].stopReason, "noTools");
  const last = (await client.request("chat.history", { sessionId: "one" })).messages.at(-1)!;
  assert(last.role === "assistant");
  assertEquals([last.content, last.stopReason], ["Hm", "noTools"]);
});

Deno.test("chat.* refuse a session file that links out of the state dir, and write nothing through it", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  const victim = join(env.gw.stateDir, "..", `victim-${crypto.randomUUID()}.jsonl`);
  const line = '{"role":"user","content":"not a session","time":"2026-01-01T00:00:00.000Z"}\n';
  await Deno.writeTextFile(victim, line);
  try {
    const dir = env.gw.paths.sessionsDir("main");
    await Deno.mkdir(dir, { recursive: true });
    await Deno.symlink(victim, join(dir, "link.jsonl"));
    for (
      const [method, params] of [
        ["chat.send", { message: "hi", sessionId: "link" }],
        ["chat.resend", { sessionId: "link" }],
        ["chat.edit", { message: "hi", sessionId: "link" }],
        ["chat.history", { sessionId: "link" }],
      ] as const
    ) {
      const error = await assertRejects(() => client.request(method, params), GatewayError);
      assertEquals(error.code, "INVALID_PARAMS", method);
      assertMatch(error.message, /Not a session/);
    }
    // A file the gateway wrote, swapped for a link afterwards, is not followed either.
    await client.request("chat.send", { message: "hi", sessionId: "swapped" });
    await Deno.remove(join(dir, "swapped.jsonl"));
    await Deno.symlink(victim, join(dir, "swapped.jsonl"));
    const events = recordEvents(client);
    const answer = await client.request("chat.send", { message: "again", sessionId: "swapped" });
    assertEquals(answer.completed, false);
    assertEquals(events.named("chat.error")[0].code, "INVALID_PARAMS");
    assertEquals(await Deno.readTextFile(victim), line);
  } finally {
    await Deno.remove(victim);
  }
});

Deno.test("chat.abort ends a slow answer, keeps the partial text and closes the upstream stream", async () => {
  await using env = await startChatGateway({ inProcess: true });
  env.upstream.reply({ chunks: ["one ", "two ", "three ", "four ", "five "], holdAfter: 1 });
  const client = await env.gw.connect();
  const watcher = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  const watched = recordEvents(watcher);
  const sending = client.request("chat.send", { message: "Count" });
  await events.next("chat.delta");
  const aborted = await watcher.request("chat.abort", { sessionId: "main" });
  assertEquals(aborted.aborted, true);
  const answer = await sending;
  assertEquals([answer.completed, answer.aborted], [false, true]);
  const done = await events.next("chat.done");
  assertEquals(done.aborted, true);
  await env.upstream.waitForAborted(1);
  // The second client saw the same run.
  assert(watched.named("chat.delta").length >= 1);
  assertEquals(watched.named("chat.done")[0].aborted, true);
  const history = await client.request("chat.history", {
    sessionId: "main",
  });
  const last = history.messages.at(-1)!;
  assert(last.role !== "compaction");
  assertEquals([last.role, last.aborted], ["assistant", true]);
  assertEquals(last.content, "one ");
  const idle = await client.request("chat.abort", { sessionId: "main" });
  assertEquals(idle.aborted, false);
});

Deno.test("chat.abort refuses an unknown agent as chat.send does", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  for (const agentId of ["nosuch", "../x"]) {
    const error = await assertRejects(
      () => client.request("chat.abort", { sessionId: "q", agentId }),
      GatewayError,
    );
    assertEquals([error.code, error.message], ["NOT_FOUND", `Agent not found: ${agentId}`]);
  }
  assertEquals(await client.request("chat.abort", { sessionId: "q" }), { aborted: false });
});

Deno.test("chat.send queues a second message, or aborts the first with abortPrevious", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  env.upstream.reply(
    { chunks: ["a", "b", "c"], chunkDelayMs: 60 },
    { text: "second" },
    { chunks: ["x", "y", "z", "w"], holdAfter: 1 },
    { text: "replaced" },
  );
  const chat = env.gw.gateway.services.chat;
  assertEquals(chat.hasRuns, false);
  const firstDelta = recordEvents(client).next("chat.delta");
  const first = client.request("chat.send", { message: "1" });
  const second = client.request("chat.send", { message: "2" });
  await firstDelta;
  // A turn under way (the gateway's collection after work waits for none to be).
  assertEquals(chat.hasRuns, true);
  assertEquals((await first).completed, true);
  assertEquals((await second).completed, true);
  assertEquals(chat.hasRuns, false);
  let history = await client.request(
    "chat.history",
    { sessionId: "main" },
  );
  assertEquals(history.messages.map((m) => m.content), ["1", "abc", "2", "second"]);

  const events = recordEvents(client);
  const slow = client.request("chat.send", { message: "3" });
  await events.next("chat.delta");
  const fresh = await client.request("chat.send", {
    message: "4",
    abortPrevious: true,
  });
  assertEquals((await slow).aborted, true);
  assertEquals(fresh.completed, true);
  history = await client.request("chat.history", { sessionId: "main" });
  assertEquals(history.messages.slice(4).map((m) => m.content), ["3", "x", "4", "replaced"]);
});

Deno.test("chat.resend regenerates the last answer and chat.edit replaces the last message", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  env.upstream.reply({ text: "first answer" }, { text: "second answer" }, {
    text: "edited answer",
  });
  await client.request("chat.send", { message: "Question", sessionId: "s1" });
  const resent = await client.request("chat.resend", { sessionId: "s1" });
  assertEquals(resent.completed, true);
  let history = await client.request(
    "chat.history",
    { sessionId: "s1" },
  );
  assertEquals(history.messages.map((m) => m.content), ["Question", "second answer"]);
  assertEquals(env.upstream.requests[1].body.messages.at(-1).content, "Question");

  await client.request("chat.edit", { sessionId: "s1", message: "Better question" });
  history = await client.request("chat.history", { sessionId: "s1" });
  assertEquals(history.messages.map((m) => m.content), ["Better question", "edited answer"]);

  const empty = await assertRejects(
    () => client.request("chat.resend", { sessionId: "nothing-here" }),
    GatewayError,
  );
  assertEquals(empty.code, "NOT_FOUND");
});

Deno.test("chat.send reports upstream failures as chat.error with the mapped code", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  const events = recordEvents(client);
  env.upstream.reply({ error: { status: 429, retryAfter: 3 } });
  const limited = await client.request("chat.send", { message: "x" });
  assertEquals(limited.completed, false);
  const error = events.named("chat.error")[0];
  assertEquals([error.sessionId, error.code, error.retryAfterMs], ["main", "RATE_LIMITED", 3000]);
  assertMatch(error.error, /rate limit/i);

  env.upstream.reply({ error: { status: 401 } });
  await client.request("chat.send", { message: "x" });
  assertEquals(events.named("chat.error")[1].code, "AUTH_REQUIRED");
  assertMatch(events.named("chat.error")[1].error, /API key/);

  env.upstream.reply({ error: { status: 404, message: "The model does not exist" } });
  await client.request("chat.send", { message: "x" });
  assertEquals(events.named("chat.error")[2].code, "NOT_FOUND");
});

Deno.test("chat.send refuses unknown agents and models, empty and oversized messages", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  for (
    const [params, code] of [
      [{ message: "x", agentId: "ghost" }, "NOT_FOUND"],
      [{ message: "x", model: "nope/nothing", provider: "nope" }, "NOT_FOUND"],
      [{ message: "   " }, "INVALID_PARAMS"],
      [{ message: "x".repeat(100_001) }, "INVALID_PARAMS"],
      [{ message: "x", sessionId: "../escape" }, "INVALID_PARAMS"],
      [{ message: "x", temperature: 5 }, "INVALID_PARAMS"],
      [
        { message: "x", attachments: [{ fileName: "a.txt", content: "not base64!" }] },
        "INVALID_PARAMS",
      ],
    ] as const
  ) {
    const error = await assertRejects(() => client.request("chat.send", params), GatewayError);
    assertEquals(error.code, code, JSON.stringify(params).slice(0, 80));
  }
  assertEquals(env.upstream.requests.length, 0);
  // Nothing was written for the refused requests.
  assertEquals(await client.request("sessions.list"), { sessions: [] });
  const missing = await assertRejects(
    () => client.request("chat.history", { sessionId: "never" }),
    GatewayError,
  );
  assertEquals(missing.code, "NOT_FOUND");
});

Deno.test("chat.send applies per-request model, systemPrompt and temperature overrides", async () => {
  await using env = await startChatGateway({ inProcess: true, models: ["gpt-test", "gpt-other"] });
  const client = await env.gw.connect();
  await client.request("chat.send", {
    message: "x",
    model: "gpt-other",
    provider: "fake",
    systemPrompt: "You are a pirate.",
    temperature: 0.3,
  });
  const body = env.upstream.requests[0].body;
  assertEquals(body.model, "gpt-other");
  assertEquals(body.temperature, 0.3);
  assert(body.messages[0].content.startsWith("You are a pirate."));
});

Deno.test("chat.send records usage with the configured price, and usage.get shows it", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  env.upstream.reply({ text: "ok", usage: { prompt: 1000, completion: 500 } });
  await client.request("chat.send", { message: "x" });
  const usage = await client.request("usage.get", { days: 1 });
  assertEquals(usage.totalTokens, 1500);
  // 1 USD per million input tokens and 2 per million output tokens, from the config.
  assertEquals(usage.estimatedCost, 0.002);
  const byModel = usage.byModel as Record<string, unknown>[];
  assertEquals([byModel[0].provider, byModel[0].model], ["fake", "gpt-test"]);
  const byProvider = usage.byProvider as Record<string, unknown>[];
  assertEquals([byProvider[0].provider, byProvider[0].requests], ["fake", 1]);
});

Deno.test("chat.send injects pending system events into the next turn", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  await client.request("system.event", { text: "Backup finished", mode: "now" });
  await client.request("chat.send", { message: "x" });
  assertMatch(env.upstream.requests[0].body.messages[0].content, /Backup finished/);
  await client.request("chat.send", { message: "y" });
  assert(!env.upstream.requests[1].body.messages[0].content.includes("Backup finished"));
});

Deno.test("chat.send sends image attachments to the model and saves other files", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  const png = "iVBORw0KGgo=";
  await client.request("chat.send", {
    message: "Look",
    attachments: [
      { mimeType: "image/png", fileName: "a.png", content: png },
      { fileName: "notes.txt", content: btoa("hello notes") },
    ],
  });
  const user = env.upstream.requests[0].body.messages.at(-1);
  assertEquals(user.content[1], {
    type: "image_url",
    image_url: { url: `data:image/png;base64,${png}` },
  });
  const saved = user.content[0].text.match(/Attached file: (\S+)/)[1];
  assertEquals(await Deno.readTextFile(saved), "hello notes");
});

Deno.test("chat works against an Anthropic upstream, tool calls included", async () => {
  await using env = await startChatGateway({ inProcess: true, wire: "anthropic" });
  env.gw.gateway.services.tools.register(echoTool);
  env.upstream.reply(
    { toolCalls: [{ name: "echo", arguments: { text: "hey" }, id: "toolu_9" }] },
    { text: "Done with tools" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  const answer = await client.request("chat.send", { message: "Go" });
  assertEquals(answer.completed, true);
  assertEquals(events.named("chat.tool_result")[0].result, { echoed: "hey" });
  assertEquals(events.named("chat.delta").map((p) => p.delta).join(""), "Done with tools");
  const second = env.upstream.requests[1].body;
  assertEquals(typeof second.system, "string");
  assertEquals(second.messages.at(-1).content[0].type, "tool_result");
  assertEquals(second.messages.at(-1).content[0].tool_use_id, "toolu_9");
});

Deno.test("chat.abort stops a running tool through its signal and keeps the session consistent", async () => {
  await using env = await startChatGateway({ inProcess: true });
  let sawAbort = false;
  env.gw.gateway.services.tools.register(defineTool({
    name: "wait",
    description: "Waits until aborted",
    parameters: z.object({}),
    run: (_args, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener("abort", () => {
          sawAbort = true;
          reject(new DOMException("aborted", "AbortError"));
        }, { once: true });
      }),
  }));
  env.upstream.reply({ toolCalls: [{ name: "wait", arguments: {}, id: "w1" }] });
  const client = await env.gw.connect();
  const events = recordEvents(client);
  const sending = client.request("chat.send", { message: "wait" });
  await events.next("chat.tool_call");
  await client.request("chat.abort", { sessionId: "main" });
  assertEquals((await sending).aborted, true);
  assert(sawAbort);
  assertEquals((await events.next("chat.done")).aborted, true);
  const history = await client.request("chat.history", {
    sessionId: "main",
  });
  assertEquals(history.messages.map((m) => m.role), ["user", "assistant", "tool"]);
  const toolMessage = history.messages[2];
  assert(toolMessage.role === "tool");
  assertEquals(toolMessage.toolCallId, "w1");
  // The next turn sends a well-formed history: the call with its (aborted) result.
  env.upstream.reply({ text: "ok" });
  await client.request("chat.send", { message: "again" });
  const sent = env.upstream.requests.at(-1)!.body.messages;
  assertEquals(sent.map((m: { role: string }) => m.role), [
    "system",
    "user",
    "assistant",
    "tool",
    "user",
  ]);
});

Deno.test("chat.send tells the model about an unknown tool or bad arguments instead of failing", async () => {
  await using env = await startChatGateway({ inProcess: true });
  env.gw.gateway.services.tools.register(echoTool);
  env.upstream.reply(
    {
      toolCalls: [
        { name: "nonexistent", arguments: {}, id: "u1" },
        { name: "echo", arguments: { text: 5 }, id: "u2" },
      ],
    },
    { text: "Sorry" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  const answer = await client.request("chat.send", { message: "x" });
  assertEquals(answer.completed, true);
  const results = events.named("chat.tool_result");
  assertEquals(results.map((r) => r.isError), [true, true]);
  assertEquals(results[0].result, "Unknown tool: nonexistent");
  assertMatch(results[1].result, /Invalid arguments for echo: text/);
  const tools = env.upstream.requests[1].body.messages.filter((m: { role: string }) =>
    m.role === "tool"
  );
  assertEquals(tools.length, 2);
});

Deno.test("a client that disconnects aborts the run it started", async () => {
  await using env = await startChatGateway({ inProcess: true });
  env.upstream.reply({ chunks: ["a ", "b ", "c ", "d ", "e "], holdAfter: 1 });
  const leaving = await env.gw.connect();
  const watcher = await env.gw.connect({ events: "all" });
  const watched = recordEvents(watcher);
  leaving.request("chat.send", { message: "long" }).catch(() => {});
  await watched.next("chat.delta");
  leaving.close();
  assertEquals((await watched.next("chat.done")).aborted, true);
  await env.upstream.waitForAborted(1);
});
