import { assertEquals } from "../../_helpers/assert.ts";
import type { TypedEventFrame } from "../../../core/protocol/events.ts";
import {
  applyChatEvent,
  type ChatItem,
  type HistoryMessage,
  itemsFromHistory,
  truncateAfterLastUser,
} from "../../../ui/chat/chat_items.ts";

Deno.test("itemsFromHistory pairs tool calls with their results and keeps images as notes", () => {
  const time = "2026-01-01T00:00:00.000Z";
  const items = itemsFromHistory([
    {
      role: "user",
      content: [{ type: "text", text: "Look" }, {
        type: "image",
        mimeType: "image/png",
        file: "main.images/1.png",
      }],
      time,
    },
    {
      role: "assistant",
      content: "",
      toolCalls: [{ id: "c1", name: "exec", arguments: '{"command":"ls"}' }],
      time,
    },
    {
      role: "tool",
      toolCallId: "c1",
      name: "exec",
      content: '{"stdout":"a\\n","exitCode":0}',
      time,
    },
    { role: "assistant", content: "Done", model: "gpt-test", time },
    { role: "assistant", content: "Half", aborted: true, time },
  ]);
  assertEquals(items, [
    { kind: "user", text: "Look", attachments: ["image (image/png)"] },
    {
      kind: "tool",
      callId: "c1",
      tool: "exec",
      args: { command: "ls" },
      result: { stdout: "a\n", exitCode: 0 },
      isError: undefined,
      done: true,
    },
    {
      kind: "assistant",
      text: "Done",
      streaming: false,
      aborted: undefined,
      error: undefined,
      model: "gpt-test",
    },
    {
      kind: "assistant",
      text: "Half",
      streaming: false,
      aborted: true,
      error: undefined,
      model: undefined,
    },
  ]);
});

/** Each event of the catalogue without the frame's envelope: `{ event, payload }`. */
type Event = TypedEventFrame extends infer F
  ? F extends TypedEventFrame ? Omit<F, "type" | "seq"> : never
  : never;

/** An event frame as the gateway sends it, its payload checked against the catalogue. */
function frame(event: Event): TypedEventFrame {
  return { type: "event", seq: 1, ...event };
}

/** The open session of these events. */
const run = { sessionId: "main", agentId: "main" };

Deno.test("applyChatEvent streams deltas into one answer and closes it on tool calls and done", () => {
  let items: ChatItem[] = [{ kind: "user", text: "Hi", attachments: [] }];
  for (const delta of ["Hel", "lo"]) {
    items = applyChatEvent(
      items,
      frame({ event: "chat.delta", payload: { ...run, delta, role: "assistant" } }),
    );
  }
  assertEquals(items[1], { kind: "assistant", text: "Hello", streaming: true });
  items = applyChatEvent(
    items,
    frame({ event: "chat.tool_call", payload: { ...run, tool: "exec", args: {}, callId: "c1" } }),
  );
  assertEquals(items[1], { kind: "assistant", text: "Hello", streaming: false });
  items = applyChatEvent(
    items,
    frame({
      event: "chat.tool_result",
      payload: { ...run, tool: "exec", callId: "c1", result: "ok", output: "ok", isError: false },
    }),
  );
  assertEquals(items[2], {
    kind: "tool",
    callId: "c1",
    tool: "exec",
    args: {},
    result: "ok",
    output: "ok",
    isError: false,
    done: true,
  });
  items = applyChatEvent(
    items,
    frame({ event: "chat.delta", payload: { ...run, delta: "After", role: "assistant" } }),
  );
  const usage = { promptTokens: 1, completionTokens: 1, totalTokens: 2 };
  items = applyChatEvent(
    items,
    frame({ event: "chat.done", payload: { ...run, usage, aborted: true, model: "m" } }),
  );
  assertEquals(items[3], {
    kind: "assistant",
    text: "After",
    streaming: false,
    aborted: true,
    model: "m",
  });
  items = applyChatEvent(
    items,
    frame({
      event: "chat.error",
      payload: { ...run, error: "Upstream failed", code: "RATE_LIMITED" },
    }),
  );
  assertEquals(items.at(-1), { kind: "error", text: "Upstream failed", code: "RATE_LIMITED" });
  // Events the list does not show change nothing.
  assertEquals(
    applyChatEvent(items, frame({ event: "presence", payload: { connections: 1 } })),
    items,
  );
});

Deno.test("truncateAfterLastUser drops the answer and can replace the question", () => {
  const items: ChatItem[] = [
    { kind: "user", text: "One", attachments: [] },
    { kind: "assistant", text: "1", streaming: false },
    { kind: "user", text: "Two", attachments: [] },
    { kind: "assistant", text: "2", streaming: false },
    { kind: "error", text: "x" },
  ];
  assertEquals(truncateAfterLastUser(items).length, 3);
  assertEquals(truncateAfterLastUser(items, "Zwei").at(-1), {
    kind: "user",
    text: "Zwei",
    attachments: [],
  });
  assertEquals(truncateAfterLastUser([]), []);
});

Deno.test("a chat.tool_result's output (what the model read) is kept beside its result", () => {
  let items: ChatItem[] = applyChatEvent(
    [],
    frame({
      event: "chat.tool_call",
      payload: { ...run, tool: "read", args: { path: "a.txt" }, callId: "r1" },
    }),
  );
  items = applyChatEvent(
    items,
    frame({
      event: "chat.tool_result",
      payload: {
        ...run,
        tool: "read",
        callId: "r1",
        result: { path: "a.txt", lines: 1 },
        output: "1\thello",
        isError: false,
      },
    }),
  );
  assertEquals(items[0], {
    kind: "tool",
    callId: "r1",
    tool: "read",
    args: { path: "a.txt" },
    result: { path: "a.txt", lines: 1 },
    output: "1\thello",
    isError: false,
    done: true,
  });
});

Deno.test("a chat.message shows as a history read shows the line it was stored as", () => {
  // agent/session_delivery.ts stores the posted words as a plain assistant line.
  const time = "2026-01-01T00:00:00.000Z";
  const before: HistoryMessage[] = [
    { role: "user", content: "Hi", time },
    { role: "assistant", content: "Hello", model: "gpt-test", time },
  ];
  const posted: HistoryMessage = { role: "assistant", content: "Lunch at noon", time };
  const live = applyChatEvent(
    itemsFromHistory(before),
    frame({
      event: "chat.message",
      payload: {
        ...run,
        role: "assistant",
        text: "Lunch at noon",
        from: { agentId: "main", sessionId: "other" },
      },
    }),
  );
  assertEquals(live, itemsFromHistory([...before, posted]));
});

Deno.test("a chat.message during a streamed answer goes before it, where the session has it", () => {
  // A run appends its answer when it is complete: the posted line is stored first.
  const time = "2026-01-01T00:00:00.000Z";
  let items = applyChatEvent(
    itemsFromHistory([{ role: "user", content: "Hi", time }]),
    frame({ event: "chat.delta", payload: { ...run, delta: "Hel", role: "assistant" } }),
  );
  items = applyChatEvent(
    items,
    frame({
      event: "chat.message",
      payload: { ...run, role: "assistant", text: "Posted", from: { ...run, sessionId: "b" } },
    }),
  );
  items = applyChatEvent(
    items,
    frame({ event: "chat.delta", payload: { ...run, delta: "lo", role: "assistant" } }),
  );
  const usage = { promptTokens: 1, completionTokens: 1, totalTokens: 2 };
  items = applyChatEvent(
    items,
    frame({ event: "chat.done", payload: { ...run, usage, aborted: false, model: "m" } }),
  );
  assertEquals(items.map((item) => item.kind === "assistant" ? item.text : item.kind), [
    "user",
    "Posted",
    "Hello",
  ]);
});

Deno.test("chat.tool_progress shows on the running call of its tool until its result", () => {
  const tool = "mcp:everything:longRunningOperation";
  let items: ChatItem[] = [
    { kind: "tool", callId: "a", tool, args: {}, result: "earlier", done: true },
    { kind: "tool", callId: "b", tool: "read", args: {}, done: false },
  ];
  const report = (progress: number) =>
    frame({
      event: "chat.tool_progress",
      payload: { ...run, tool, progress, total: 5, message: `step ${progress}` },
    });
  // No call of that tool is running: nothing changes.
  assertEquals(applyChatEvent(items, report(1)), items);
  items = applyChatEvent(
    items,
    frame({ event: "chat.tool_call", payload: { ...run, tool, args: {}, callId: "c" } }),
  );
  items = applyChatEvent(applyChatEvent(items, report(1)), report(2));
  assertEquals(items[2], {
    kind: "tool",
    callId: "c",
    tool,
    args: {},
    done: false,
    progress: { progress: 2, total: 5, message: "step 2" },
  });
  assertEquals(items.slice(0, 2), [
    { kind: "tool", callId: "a", tool, args: {}, result: "earlier", done: true },
    { kind: "tool", callId: "b", tool: "read", args: {}, done: false },
  ]);
  // Its result ends it: the call then reads as a history read shows it.
  items = applyChatEvent(
    items,
    frame({
      event: "chat.tool_result",
      payload: { ...run, tool, callId: "c", result: "ok", output: "ok", isError: false },
    }),
  );
  assertEquals(items[2], {
    kind: "tool",
    callId: "c",
    tool,
    args: {},
    result: "ok",
    output: "ok",
    isError: false,
    done: true,
  });
});

Deno.test("an answer streaming when the screen sends keeps streaming into one item, before it", () => {
  // Another client's run streams; the screen's own message goes after it (the session runs it
  // next), and the rest of the other answer still lands in its own item.
  let items = applyChatEvent(
    [],
    frame({ event: "chat.delta", payload: { ...run, delta: "Slow", role: "assistant" } }),
  );
  items = [...items, { kind: "user", text: "Mine", attachments: [] }];
  items = applyChatEvent(
    items,
    frame({ event: "chat.delta", payload: { ...run, delta: " answer", role: "assistant" } }),
  );
  assertEquals(items, [
    { kind: "assistant", text: "Slow answer", streaming: true },
    { kind: "user", text: "Mine", attachments: [] },
  ]);
  const usage = { promptTokens: 1, completionTokens: 1, totalTokens: 2 };
  items = applyChatEvent(
    items,
    frame({ event: "chat.done", payload: { ...run, usage, aborted: false, model: "m" } }),
  );
  assertEquals(items[0], {
    kind: "assistant",
    text: "Slow answer",
    streaming: false,
    aborted: false,
    model: "m",
  });
  // The screen's own run then streams a new answer, after its message.
  items = applyChatEvent(
    items,
    frame({ event: "chat.delta", payload: { ...run, delta: "Yours", role: "assistant" } }),
  );
  assertEquals(items.at(-1), { kind: "assistant", text: "Yours", streaming: true });
  assertEquals(items.length, 3);
});

Deno.test("a run that is stopped or fails takes its running call's progress with it", () => {
  const tool = "mcp:everything:longRunningOperation";
  const running: ChatItem[] = [{
    kind: "tool",
    callId: "c",
    tool,
    args: {},
    done: false,
    progress: { progress: 2, total: 5 },
  }];
  const usage = { promptTokens: 1, completionTokens: 1, totalTokens: 2 };
  const stopped = applyChatEvent(
    running,
    frame({ event: "chat.done", payload: { ...run, usage, aborted: true } }),
  );
  assertEquals(stopped[0], { kind: "tool", callId: "c", tool, args: {}, done: false });
  const failed = applyChatEvent(
    running,
    frame({
      event: "chat.error",
      payload: { ...run, error: "Upstream down", code: "INTERNAL_ERROR" },
    }),
  );
  assertEquals(failed, [
    { kind: "tool", callId: "c", tool, args: {}, done: false },
    { kind: "error", text: "Upstream down", code: "INTERNAL_ERROR" },
  ]);
});
