/**
 * @module How the run loop hands over its events: straight to a callback, in order, with no async
 * generator between it and the chat service (issue 17: each such hop cost a promise and its
 * microtasks per streamed delta). Counted, not timed.
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { type AgentEvent, type AgentRunDeps, type PreparedRun, runAgent } from "../../agent/run.ts";

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
