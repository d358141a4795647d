/**
 * @module How the run loop hands over its events: straight to a callback, in order, with no async
 * generator between it and the chat service (issue 17: each such hop cost a promise and its
 * microtasks per streamed delta), for a failed turn and for a streamed one with a tool call.
 * Counted, not timed.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { z } from "zod";
import {
  type AgentEvent,
  type AgentRunDeps,
  type PreparedRun,
  prepareRun,
  runAgent,
} from "../../agent/run.ts";
import { ProviderRegistry } from "../../agent/providers/registry.ts";
import { SessionStore } from "../../agent/sessions/session_store.ts";
import { configSchema } from "../../core/config/schema.ts";
import { Logger } from "../../core/logger.ts";
import { statePaths } from "../../core/paths.ts";
import { ToolRegistry } from "../../tools/registry.ts";
import { defineTool } from "../../tools/tool.ts";
import { startFakeOpenAI } from "../_helpers/fake_openai.ts";

/** A turn that fails at its first step (no session store), before any model is called. */
function failingTurn(
  logger: { warn?: (message: string) => void; error?: (message: string) => void },
) {
  const deps = {
    config: () => ({}),
    paths: { root: "/nonexistent", workspaceDir: "/nonexistent" },
    logger: { warn: () => {}, error: () => {}, ...logger },
  } as unknown as AgentRunDeps;
  const run = {
    request: { agentId: "main", sessionId: "s1", message: "hi", tools: false },
    agent: {},
    resolved: { providerId: "p", model: "m" },
  } as unknown as PreparedRun;
  return { deps, run };
}

Deno.test("runAgent returns a promise and hands a failed turn's one error event to its callback", async () => {
  const warnings: string[] = [];
  const { deps, run } = failingTurn({ warn: (message) => warnings.push(message) });
  const events: AgentEvent[] = [];
  const result = runAgent(deps, run, (event) => events.push(event));
  // A plain promise, not an async iterator: nothing sits between an event and its consumer.
  assert(result instanceof Promise, "runAgent should return a promise");
  assert(!(Symbol.asyncIterator in result), "runAgent should not be an async generator");
  await result;
  assertEquals(events.map((event) => event.type), ["error"]);
  assertEquals(warnings, ["agent run failed"]);
});

Deno.test("a consumer that throws is logged once and neither fails the turn nor makes runAgent reject", async () => {
  const errors: string[] = [];
  const { deps, run } = failingTurn({ error: (message) => errors.push(message) });
  let calls = 0;
  await runAgent(deps, run, () => {
    calls++;
    throw new Error("consumer failed");
  });
  assertEquals(calls, 1, "the turn's error event was offered");
  assertEquals(errors, ["a turn's event consumer failed"]);
});

Deno.test("runAgent hands a streamed turn with a tool call its events in order: deltas, the call, its result, more deltas, done", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  upstream.reply(
    {
      chunks: ["Let me ", "add."],
      toolCalls: [{ id: "call_1", name: "add", arguments: { a: 2, b: 3 } }],
      usage: { prompt: 10, completion: 4 },
    },
    { chunks: ["It is ", "5."], usage: { prompt: 20, completion: 2 } },
  );
  await using turn = await successfulTurn(upstream.url);
  const events: AgentEvent[] = [];
  await runAgent(turn.deps, turn.run, (event) => events.push(event));

  assertEquals(events, [
    { type: "delta", text: "Let me " },
    { type: "delta", text: "add." },
    { type: "tool_call", id: "call_1", tool: "add", args: { a: 2, b: 3 } },
    { type: "tool_result", id: "call_1", tool: "add", result: "5", output: "5", isError: false },
    { type: "delta", text: "It is " },
    { type: "delta", text: "5." },
    {
      type: "done",
      usage: { promptTokens: 30, completionTokens: 6, totalTokens: 36 },
      text: "It is 5.",
      aborted: false,
      provider: "fake",
      model: "gpt-test",
      finishReason: "stop",
    },
  ]);
  // The model saw the tool's answer on its second call, and the session holds the whole turn.
  const second = upstream.requests[1].body.messages.at(-1);
  assertEquals([second.role, second.tool_call_id, second.content], ["tool", "call_1", "5"]);
  const stored = (await turn.deps.sessions.read("main", "s1")).map((entry) =>
    entry.role === "compaction" ? [entry.role] : [entry.role, entry.content]
  );
  assertEquals(stored, [
    ["user", "What is 2 + 3?"],
    ["assistant", "Let me add."],
    ["tool", "5"],
    ["assistant", "It is 5."],
  ]);
});

Deno.test("a model stopped at its own token limit while calling a tool still has the call run, and carries on", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  // No maxTokens in the request (a WebSocket turn): "length" is the model's or the context's
  // limit, not a budget of the turn's, so nothing stops the model reading its tool's result.
  upstream.reply(
    {
      toolCalls: [{ id: "call_1", name: "add", arguments: { a: 2, b: 3 } }],
      finishReason: "length",
    },
    { chunks: ["It is 5."] },
  );
  await using turn = await successfulTurn(upstream.url);
  const events: AgentEvent[] = [];
  await runAgent(turn.deps, turn.run, (event) => events.push(event));

  assertEquals(upstream.requests.length, 2);
  assertEquals(events.filter((event) => event.type === "tool_result").length, 1);
  const done = events.at(-1);
  assertEquals(done?.type === "done" && [done.text, done.finishReason], ["It is 5.", "stop"]);
});

Deno.test("a failed turn's log line holds no secret its upstream echoed", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  upstream.reply({ error: { status: 400, message: "Bad key=sk-live-0123456789abcdefXYZ" } });
  await using turn = await successfulTurn(upstream.url);
  const logged: unknown[] = [];
  const deps = {
    ...turn.deps,
    logger: { warn: (_: string, fields: unknown) => logged.push(fields), error() {}, info() {} },
  } as unknown as AgentRunDeps;
  await runAgent(deps, turn.run, () => {});
  const line = JSON.stringify(logged);
  assert(line.includes("Bad key=[REDACTED]"), line);
  assert(!line.includes("0123456789abcdef"), line);
});

/**
 * A turn on real parts: the OpenAI-compatible provider against the stand-in at `baseUrl`, a
 * session store in a temporary state dir, and a tool registry holding one `add` tool.
 */
async function successfulTurn(baseUrl: string) {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-run-events-" });
  const config = configSchema().parse({
    models: { providers: { fake: { baseUrl, apiKey: "sk-test" } } },
    agents: { defaults: { model: "fake/gpt-test" } },
  });
  const paths = statePaths(root);
  const add = defineTool({
    name: "add",
    description: "Adds two numbers",
    parameters: z.object({ a: z.number(), b: z.number() }),
    run: ({ a, b }) => Promise.resolve(String(a + b)),
  });
  const deps: AgentRunDeps = {
    config: () => config,
    providers: new ProviderRegistry({ config: () => config }),
    sessions: new SessionStore(paths),
    paths,
    logger: new Logger({ consoleLevel: "silent" }),
    tools: new ToolRegistry([add]),
  };
  const run = prepareRun(deps, { agentId: "main", sessionId: "s1", message: "What is 2 + 3?" });
  return {
    deps,
    run,
    async [Symbol.asyncDispose]() {
      await Deno.remove(root, { recursive: true });
    },
  };
}
