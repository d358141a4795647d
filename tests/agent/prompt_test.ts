import {
  buildSystemPrompt,
  historyToMessages,
  MAX_MESSAGE_CHARS,
  type ResolvedMessage,
  sanitizeUserMessage,
  timeContext,
} from "../../agent/prompt.ts";
import { GatewayError } from "../../core/errors.ts";
import { assert, assertEquals, assertMatch, assertThrows } from "../_helpers/assert.ts";

Deno.test("sanitizeUserMessage strips control characters but keeps tabs and newlines", () => {
  assertEquals(sanitizeUserMessage("a\u0000b\u001bc\td\r\ne\u007f"), "abc\td\ne");
  const error = assertThrows(
    () => sanitizeUserMessage("x".repeat(MAX_MESSAGE_CHARS + 1)),
    GatewayError,
  );
  assertEquals(error.code, "INVALID_PARAMS");
});

Deno.test("timeContext names the date, time and zone of the agent's timezone", () => {
  const now = new Date("2026-03-01T23:30:00Z");
  assertEquals(
    timeContext(now, "Asia/Tokyo"),
    "Current date and time: Monday, March 2, 2026, 08:30 (time zone Asia/Tokyo, GMT+09:00).",
  );
  // An invalid zone falls back to the system's instead of failing the turn.
  assertMatch(timeContext(now, "Not/AZone"), /^Current date and time: .+2026/);
});

Deno.test("buildSystemPrompt puts the base prompt, the time and pending events in order", () => {
  const prompt = buildSystemPrompt({
    base: "Be brief.",
    now: new Date("2026-01-01T00:00:00Z"),
    timezone: "UTC",
    events: [{ text: "Disk almost full", mode: "now", time: "2026-01-01T00:00:00.000Z" }],
  });
  const parts = prompt.split("\n\n");
  assertEquals(parts[0], "Be brief.");
  assertMatch(parts[1], /Thursday, January 1, 2026, 00:00 \(time zone UTC/);
  assertMatch(parts[2], /Disk almost full/);
});

Deno.test("historyToMessages drops failed turns and tool calls without results", () => {
  const time = "2026-01-01T00:00:00Z";
  const history: ResolvedMessage[] = [
    { role: "tool", toolCallId: "orphan", name: "x", content: "left from a cut window", time },
    { role: "user", content: "hi", time },
    { role: "assistant", content: "", error: "boom", time },
    {
      role: "assistant",
      content: "",
      toolCalls: [{ id: "a", name: "echo", arguments: "{}" }, {
        id: "b",
        name: "echo",
        arguments: "{}",
      }],
      time,
    },
    { role: "tool", toolCallId: "a", name: "echo", content: "A", time },
    { role: "assistant", content: "done", time },
  ];
  const messages = historyToMessages(history);
  assertEquals(messages.map((m) => m.role), ["user", "assistant", "tool", "assistant"]);
  const call = messages[1];
  assert(call.role === "assistant");
  assertEquals(call.toolCalls?.map((c) => c.id), ["a"]);
});
