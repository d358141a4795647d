import { assert, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { type ChatGateway, recordEvents, startChatGateway } from "../_helpers/chat_gateway.ts";
import type { ScriptedReply } from "../_helpers/fake_openai.ts";

const call = (name: string, args: Record<string, unknown> = {}) => ({ name, arguments: args });
// An answer that stops after its first chunk until its run is aborted: a sub-agent on it is still
// running whenever the test acts, however slow the machine (a paced stream once gave 6 s).
const slow: ScriptedReply = { chunks: Array(20).fill("."), holdAfter: 1 };

/**
 * Answers each request by the first route whose pattern its last user message matches, and
 * whose `afterTool` says whether the request carries a tool result: the parent's and the
 * sub-agents' requests interleave, so a queue in arrival order would not do.
 */
function route(
  env: Pick<ChatGateway, "upstream">,
  routes: [RegExp, ScriptedReply, { afterTool?: boolean }?][],
): void {
  env.upstream.setDefault((request) => {
    const messages: { role: string; content: unknown }[] = request.body.messages;
    const user = JSON.stringify(messages.findLast((m) => m.role === "user")?.content);
    const afterTool = messages.at(-1)?.role === "tool";
    const hit = routes.find(([pattern, , when]) =>
      pattern.test(user) && (when?.afterTool ?? false) === afterTool
    );
    return hit?.[1] ?? { text: "ok" };
  });
}
const AFTER_TOOL = { afterTool: true };

const subagentsConfig = (limits: Record<string, number>) => ({
  agents: { defaults: { model: "fake/gpt-test", subagents: limits } },
});

Deno.test("sessions_spawn: the sub-agent works in its own session and its result is announced to the parent", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  route(env, [
    [/Research the moon/, {
      toolCalls: [call("sessions_spawn", { prompt: "Find the moon's distance", label: "moon" })],
    }],
    [/Research the moon/, { text: "A sub-agent is on it." }, AFTER_TOOL],
    [/Find the moon's distance/, { text: "384400 km" }],
    [/finished\. Its result/, { text: "The moon is 384400 km away." }],
  ]);
  await client.request("chat.send", { message: "Research the moon" });
  const spawned = events.named("chat.tool_result")[0];
  assertEquals(spawned.isError, false, JSON.stringify(spawned.result));
  const child = spawned.result;
  assertMatch(child.sessionId, /^subagent-/);
  assertEquals([child.agentId, child.label, child.depth, child.state], [
    "main",
    "moon",
    1,
    "running",
  ]);
  assertEquals(child.parent, { agentId: "main", sessionId: "main" });

  const report = await events.next(
    "chat.done",
    (p) =>
      p.sessionId === "main" &&
      events.named("chat.done").filter((d) => d.sessionId === "main").length >= 2,
    20_000,
  );
  assertEquals(report.aborted, false);
  assert(events.named("chat.done").some((p) => p.sessionId === child.sessionId));
  const history = await client.request(
    "chat.history",
    { sessionId: "main" },
  );
  const announced = history.messages.findLast((m) => m.role === "user")!;
  assertEquals(
    announced.content,
    `[Sub-agent "moon" (${child.sessionId}) finished. Its result:]\n384400 km`,
  );
  assertEquals(history.messages.at(-1)!.content, "The moon is 384400 km away.");

  route(env, [
    [/list my helpers/, { toolCalls: [call("subagents", { action: "list" })] }],
    [/list my helpers/, { text: "listed" }, AFTER_TOOL],
  ]);
  await client.request("chat.send", { message: "list my helpers" });
  const listed = events.named("chat.tool_result").at(-1).result.subagents;
  assertEquals(
    listed.map((
      s: { sessionId: string; state: string; preview: string },
    ) => [s.sessionId, s.state, s.preview]),
    [
      [child.sessionId, "completed", "384400 km"],
    ],
  );
});

Deno.test("sessions_spawn: depth and count limits are enforced", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: subagentsConfig({ maxSpawnDepth: 1, maxChildrenPerAgent: 1, maxConcurrent: 8 }),
  });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  route(env, [
    [/spawn two/, {
      toolCalls: [
        call("sessions_spawn", { prompt: "nest deeper" }),
        call("sessions_spawn", { prompt: "second child" }),
      ],
    }],
    [/spawn two/, { text: "spawned" }, AFTER_TOOL],
    [/nest deeper/, { toolCalls: [call("sessions_spawn", { prompt: "grandchild" })] }],
    [/nest deeper/, slow, AFTER_TOOL],
  ]);
  await client.request("chat.send", { message: "spawn two" });
  const parent = events.named("chat.tool_result").filter((r) => r.sessionId === "main");
  assertEquals(parent.map((r) => r.isError), [false, true]);
  assertMatch(parent[1].result, /already has 1 running sub-agents.*maxChildrenPerAgent/);
  const child = parent[0].result.sessionId;
  const nested = await events.next("chat.tool_result", (p) => p.sessionId === child);
  assertEquals(nested.isError, true);
  assertMatch(nested.result, /nest 1 deep.*maxSpawnDepth/);
  // The child is held mid-answer, so it is still running when the parent kills it.
  await events.next("chat.delta", (p) => p.sessionId === child);

  route(env, [
    [/stop it/, { toolCalls: [call("subagents", { action: "kill", session_id: child })] }],
    [/stop it/, { text: "stopped" }, AFTER_TOOL],
  ]);
  await client.request("chat.send", { message: "stop it" });
  const killed = events.named("chat.tool_result").at(-1);
  assertEquals([killed.isError, killed.result.state], [false, "killed"]);
  const done = await events.next("chat.done", (p) => p.sessionId === child);
  assertEquals(done.aborted, true);
});

Deno.test("sessions_spawn: aborting the parent session kills its children and theirs, with no report", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: subagentsConfig({ maxSpawnDepth: 2, maxChildrenPerAgent: 5, maxConcurrent: 8 }),
  });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  route(env, [
    [/Start the tree/, { toolCalls: [call("sessions_spawn", { prompt: "level one" })] }],
    [/Start the tree/, { text: "spawned" }, AFTER_TOOL],
    [/level one/, { toolCalls: [call("sessions_spawn", { prompt: "level two" })] }],
    [/level one/, slow, AFTER_TOOL],
    [/level two/, slow],
  ]);
  await client.request("chat.send", { message: "Start the tree" });
  const one = events.named("chat.tool_result")[0].result.sessionId;
  const spawnedTwo = await events.next("chat.tool_result", (p) => p.sessionId === one);
  const two = spawnedTwo.result.sessionId;
  assertEquals(spawnedTwo.result.depth, 2);
  await events.next("chat.delta", (p) => p.sessionId === two);

  assertEquals(await client.request("chat.abort", { sessionId: "main" }), { aborted: true });
  for (const session of [one, two]) {
    const done = await events.next("chat.done", (p) => p.sessionId === session);
    assertEquals(done.aborted, true, session);
  }
  route(env, [
    [/what runs/, { toolCalls: [call("subagents", { action: "list" })] }],
    [/what runs/, { text: "nothing" }, AFTER_TOOL],
  ]);
  await client.request("chat.send", { message: "what runs" });
  const listed = events.named("chat.tool_result").at(-1).result.subagents;
  assertEquals(listed.map((s: { state: string }) => s.state), ["killed"]);
  const history = await client.request("chat.history", {
    sessionId: "main",
  });
  assert(!/\[Sub-agent \S+ (finished|failed)/.test(JSON.stringify(history.messages)), "no report");
});

Deno.test("subagents steer: the child drops its task, follows the new instruction and reports that", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  route(env, [
    [/Count the stars/, { toolCalls: [call("sessions_spawn", { prompt: "count every star" })] }],
    [/Count the stars/, { text: "started" }, AFTER_TOOL],
    [/count every star/, slow],
    [/New instruction from the parent session\] Just count the planets/, { text: "8 planets" }],
    [/finished\. Its result/, { text: "Noted: 8 planets." }],
  ]);
  await client.request("chat.send", { message: "Count the stars" });
  const child = events.named("chat.tool_result")[0].result.sessionId;
  await events.next("chat.delta", (p) => p.sessionId === child);
  route(env, [
    [/change of plan/, {
      toolCalls: [call("subagents", {
        action: "steer",
        id: child, // the names for session_id and instruction work too
        message: "Just count the planets",
      })],
    }],
    [/change of plan/, { text: "steered" }, AFTER_TOOL],
    [/New instruction from the parent session\] Just count the planets/, { text: "8 planets" }],
    [/finished\. Its result/, { text: "Noted: 8 planets." }],
  ]);
  await client.request("chat.send", { message: "change of plan" });
  assertEquals(events.named("chat.tool_result").at(-1).result.state, "running");
  await waitFor(
    async () => {
      const { messages } = await client.request(
        "chat.history",
        { sessionId: "main" },
      );
      return messages.at(-1)?.content === "Noted: 8 planets.";
    },
    10_000,
    "the steered result to be reported",
  );
  const history = await client.request("chat.history", {
    sessionId: "main",
  });
  assertEquals(
    history.messages.at(-2)?.content,
    `[Sub-agent ${child} finished. Its result:]\n8 planets`,
  );
});

Deno.test("sessions_spawn: a parent run aborted by its client's disconnect kills the children it spawned", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const watcher = await env.gw.connect({ events: "all" });
  const events = recordEvents(watcher);
  const client = await env.gw.connect({ events: "all" });
  route(env, [
    [/Start and keep going/, { toolCalls: [call("sessions_spawn", { prompt: "long task" })] }],
    [/Start and keep going/, slow, AFTER_TOOL],
    [/long task/, slow],
  ]);
  client.request("chat.send", { message: "Start and keep going" }).catch(() => {});
  const child = (await events.next("chat.tool_result")).result.sessionId;
  await events.next("chat.delta", (p) => p.sessionId === child);
  await client.close();
  const done = await events.next("chat.done", (p) => p.sessionId === child, 20_000);
  assertEquals(done.aborted, true);
  assertEquals((await events.next("chat.done", (p) => p.sessionId === "main")).aborted, true);
});

Deno.test("sessions_spawn: maxConcurrent counts running sub-agents across sessions", async () => {
  await using env = await startChatGateway({
    inProcess: true,
    config: subagentsConfig({ maxSpawnDepth: 1, maxChildrenPerAgent: 5, maxConcurrent: 1 }),
  });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  route(env, [
    [/go/, { toolCalls: [call("sessions_spawn", { prompt: "slow job" })] }],
    [/go/, { text: "ok" }, AFTER_TOOL],
    [/slow job/, slow],
  ]);
  await client.request("chat.send", { message: "go", sessionId: "a" });
  await client.request("chat.send", { message: "go", sessionId: "b" });
  const results = events.named("chat.tool_result");
  assertEquals(results.map((r) => [r.sessionId, r.isError]), [["a", false], ["b", true]]);
  assertMatch(results[1].result, /1 sub-agents are running.*maxConcurrent/);
});
