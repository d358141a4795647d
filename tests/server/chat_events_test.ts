/** @module Tests of `server/chat_events.ts`: each run event becomes its catalogue `chat.*` event. */

import { assertEquals } from "../_helpers/assert.ts";
import { contractDrift } from "../_helpers/contract.ts";
import type { RunEvent } from "../../agent/run_types.ts";
import type { EventPublisher } from "../../core/event_bus.ts";
import { EVENTS } from "../../core/protocol/events.ts";
import { chatEventPublisher } from "../../server/chat_events.ts";

const session = { sessionId: "s1", agentId: "main" };
const usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5 };

/** The event's name, its payload as the wire carries it (JSON), and its route. */
function published(event: RunEvent): { event: string; json: string; route?: string } {
  const seen: { event: string; json: string; route?: string }[] = [];
  const publish: EventPublisher = (name, payload, route) => {
    const drift = contractDrift(EVENTS[name].payload, JSON.parse(JSON.stringify(payload)));
    assertEquals(drift, undefined, `${name}: ${drift}`);
    seen.push({ event: name, json: JSON.stringify(payload), route });
  };
  chatEventPublisher(publish)(session, event);
  assertEquals(seen.length, 1);
  return seen[0];
}

Deno.test("chat events: a run's events keep their wire shape, routed to the session", () => {
  const cases: [RunEvent, string, unknown][] = [
    [
      { type: "delta", text: "Hi" },
      "chat.delta",
      { sessionId: "s1", agentId: "main", delta: "Hi", role: "assistant" },
    ],
    [
      { type: "tool_call", id: "c1", tool: "read", args: { path: "a" } },
      "chat.tool_call",
      { sessionId: "s1", agentId: "main", tool: "read", args: { path: "a" }, callId: "c1" },
    ],
    [
      { type: "tool_result", id: "c1", tool: "read", result: "x", output: "x", isError: false },
      "chat.tool_result",
      {
        sessionId: "s1",
        agentId: "main",
        tool: "read",
        result: "x",
        output: "x",
        callId: "c1",
        isError: false,
      },
    ],
    [
      { type: "done", usage, text: "Hi", aborted: false, provider: "p", model: "m" },
      "chat.done",
      { sessionId: "s1", agentId: "main", usage, aborted: false, provider: "p", model: "m" },
    ],
    [
      {
        type: "error",
        error: { code: "RATE_LIMITED", message: "Slow down", retryAfterMs: 9 },
        text: "",
      },
      "chat.error",
      {
        sessionId: "s1",
        agentId: "main",
        error: "Slow down",
        code: "RATE_LIMITED",
        retryAfterMs: 9,
      },
    ],
  ];
  for (const [event, name, payload] of cases) {
    const out = published(event);
    assertEquals(out.event, name);
    // Byte for byte: key order included, as clients received it before the mapping moved here.
    assertEquals(out.json, JSON.stringify(payload));
    assertEquals(out.route, "main/s1");
  }
});

Deno.test("chat events: a run aborted before it started ends with chat.done naming no model", () => {
  const out = published({ type: "done", usage, text: "", aborted: true });
  assertEquals(out.event, "chat.done");
  assertEquals(
    out.json,
    JSON.stringify({ sessionId: "s1", agentId: "main", usage, aborted: true }),
  );
});

Deno.test("chat events: a file and MCP progress carry the session, as the catalogue declares", () => {
  const file = published({
    type: "file",
    name: "a.png",
    mimeType: "image/png",
    size: 3,
    caption: "Look",
    data: "AAAA",
  });
  assertEquals(file.event, "chat.file");
  assertEquals(
    JSON.parse(file.json),
    {
      sessionId: "s1",
      agentId: "main",
      name: "a.png",
      mimeType: "image/png",
      size: 3,
      caption: "Look",
      data: "AAAA",
    },
  );
  // The catalogue lacked `agentId` here although every chat.* event carries it: contract drift.
  const progress = published({ type: "progress", tool: "mcp:s:t", progress: 1, total: 3 });
  assertEquals(progress.event, "chat.tool_progress");
  assertEquals(JSON.parse(progress.json), {
    sessionId: "s1",
    tool: "mcp:s:t",
    progress: 1,
    total: 3,
    agentId: "main",
  });
});

Deno.test("chat events: words posted into a session arrive as chat.message with their sender", () => {
  const from = { agentId: "main", sessionId: "other" };
  const out = published({ type: "message", text: "Done", from });
  assertEquals(out.event, "chat.message");
  assertEquals(
    out.json,
    JSON.stringify({ agentId: "main", sessionId: "s1", role: "assistant", text: "Done", from }),
  );
});

Deno.test("chat events: one sink routes each session's events to that session", () => {
  const routes: (string | undefined)[] = [];
  const sink = chatEventPublisher((_name, _payload, route) => routes.push(route));
  const other = { sessionId: "s2", agentId: "ops" };
  for (const who of [session, other, session, { ...session }]) {
    sink(who, { type: "delta", text: "x" });
  }
  assertEquals(routes, ["main/s1", "ops/s2", "main/s1", "main/s1"]);
});
