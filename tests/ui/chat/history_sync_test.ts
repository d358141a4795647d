/**
 * @module When the chat screen reads its session's history again (ui/chat/history_sync.ts): at
 * the end of a run whose events crossed a history read, or that was under way in the history it
 * read; not for a run seen whole from a finished history, nor one that failed or was stopped;
 * an earlier read's late answer dropped.
 */

import { assertEquals } from "../../_helpers/assert.ts";
import type { HistoryMessage } from "../../../ui/chat/chat_items.ts";
import { endsMidRun, HistorySync } from "../../../ui/chat/history_sync.ts";

const time = "2026-01-01T00:00:00.000Z";
const user: HistoryMessage = { role: "user", content: "Run echo", time };
const call: HistoryMessage = {
  role: "assistant",
  content: "",
  toolCalls: [{ id: "c1", name: "exec", arguments: '{"command":"echo hi"}' }],
  time,
};
const result: HistoryMessage = {
  role: "tool",
  toolCallId: "c1",
  name: "exec",
  content: '{"stdout":"hi\\n"}',
  time,
};
const answer: HistoryMessage = { role: "assistant", content: "Ran it", time };

Deno.test("a run seen whole from a finished history is not read again", () => {
  const sync = new HistorySync();
  assertEquals(sync.settled(sync.start(), endsMidRun([user, call, result, answer])), true);
  const events = ["chat.tool_call", "chat.tool_result", "chat.delta", "chat.delta"] as const;
  assertEquals(events.map((name) => sync.event(name)), [false, false, false, false]);
  assertEquals(sync.event("chat.done"), false);
});

Deno.test("a run whose events came while the history was on its way is read again at its end", () => {
  const sync = new HistorySync();
  const load = sync.start();
  // The answer streams in while the read is on its way: the read may predate it.
  assertEquals(sync.event("chat.delta"), false);
  assertEquals(sync.event("chat.done"), true);
  // The read asked for at the end is the one shown; the first one's late answer is dropped.
  const again = sync.start();
  assertEquals(sync.settled(load), false);
  assertEquals(sync.settled(again), true);
  // The next run, seen whole, is not read again.
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
});

Deno.test("a run under way in the history read is read again at its end, even seen streaming", () => {
  // Back from the Approvals screen: the history ends on the tool's result, and the answer's
  // first words streamed before the screen listened; only its last ones come now.
  const sync = new HistorySync();
  assertEquals(sync.settled(sync.start(), endsMidRun([user, call, result])), true);
  assertEquals(sync.event("chat.delta"), false);
  assertEquals(sync.event("chat.done"), true);
  // Read again after it: the history is finished, and the next run is not read again.
  assertEquals(sync.settled(sync.start(), endsMidRun([user, call, result, answer])), true);
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
});

Deno.test("a run that failed or was stopped is not read again, and leaves nothing to the next", () => {
  // A failure or a stop before any text leaves no line in the session: a read would take the
  // screen's note of it away.
  const sync = new HistorySync();
  sync.settled(sync.start(), endsMidRun([user, call, result]));
  assertEquals(sync.event("chat.error"), false);
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
  const load = sync.start();
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done", true), false);
  sync.settled(load);
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
});

Deno.test("another session's reads on their way are dropped, and its run forgotten", () => {
  const sync = new HistorySync();
  const load = sync.start();
  sync.event("chat.delta");
  sync.reset();
  assertEquals(sync.settled(load), false);
  assertEquals(sync.settled(sync.start()), true);
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
});

Deno.test("endsMidRun: the user's message, a tool's result or a call for tools is a run under way", () => {
  assertEquals(endsMidRun([]), false);
  assertEquals(endsMidRun([user]), true);
  assertEquals(endsMidRun([user, call]), true);
  assertEquals(endsMidRun([user, call, result]), true);
  assertEquals(endsMidRun([user, call, result, answer]), false);
  // A run stopped or failed after some text: its partial answer ends it.
  assertEquals(endsMidRun([user, { ...answer, content: "Ra", aborted: true }]), false);
  // Compaction's line comes after the run's and is not one of its messages.
  const compaction: HistoryMessage = {
    role: "compaction",
    content: "Earlier turns",
    time,
    keptFrom: 100,
    compactedFrom: 0,
    messagesCompacted: 4,
    tokensBefore: 900,
    tokensAfter: 120,
  };
  assertEquals(endsMidRun([user, call, result, answer, compaction]), false);
});
