/**
 * @module When the chat screen reads its session's history again (ui/chat/history_sync.ts): at
 * the end of a run another client started, of one whose events crossed a history read, or of one
 * that was under way in the history it read; not for a run of the screen's own seen whole from a
 * finished history, nor one that failed or was stopped; at once for words posted into the
 * session while a read was on its way; an earlier read's late answer dropped.
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

Deno.test("a run of the screen's own seen whole from a finished history is not read again", () => {
  const sync = new HistorySync();
  assertEquals(sync.settled(sync.start(), endsMidRun([user, call, result, answer])), true);
  const request = sync.request();
  const events = ["chat.tool_call", "chat.tool_result", "chat.delta", "chat.delta"] as const;
  assertEquals(events.map((name) => sync.event(name)), [false, false, false, false]);
  assertEquals(sync.event("chat.done"), false);
  // Its request is answered after its last event.
  assertEquals(sync.answered(request, true), false);
});

Deno.test("a run another client started is read again at its end, for the message that started it", () => {
  // The CLI, a channel or another tab runs a turn in the open session: its events stream the
  // answer, the user's message is only in the session.
  const sync = new HistorySync();
  sync.settled(sync.start(), endsMidRun([user, call, result, answer]));
  assertEquals(sync.event("chat.delta"), false);
  assertEquals(sync.event("chat.done"), true);
  // One that was stopped or failed keeps the screen's note of it.
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done", true), false);
  assertEquals(sync.event("chat.error"), false);
  // After the screen's own run was answered, the next run is another's again.
  const request = sync.request();
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
  assertEquals(sync.answered(request, true), false);
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), true);
});

Deno.test("another's run that ended while the screen's request waited is read again when it is answered", () => {
  // Another client's run was under way when the screen sent; the screen's own waited for the
  // session, and both ended before the screen's request was answered.
  const sync = new HistorySync();
  sync.settled(sync.start(), endsMidRun([user, call, result, answer]));
  const request = sync.request();
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
  assertEquals(sync.answered(request, true), true);
  // The screen's own run failed last: its note stays.
  const failed = sync.request();
  sync.event("chat.done");
  sync.event("chat.error");
  assertEquals(sync.answered(failed, true), false);
  // A request refused before its run (no run of its own ended) with another's run ended meanwhile.
  const refused = sync.request();
  sync.event("chat.done");
  assertEquals(sync.answered(refused, false), true);
  // Refused with nothing ended, or answered twice: nothing to read.
  assertEquals(sync.answered(sync.request(), false), false);
  assertEquals(sync.answered(refused, false), false);
});

Deno.test("a request of another session's (or of a screen that left) is forgotten", () => {
  const sync = new HistorySync();
  const request = sync.request();
  sync.reset();
  sync.event("chat.done");
  sync.event("chat.done");
  assertEquals(sync.answered(request, true), false);
});

Deno.test("a read made while the screen's own run is on its way is read again at its end", () => {
  // The session opened again or the connection came back while the screen's run was under way:
  // the read ends in the middle of the run.
  const sync = new HistorySync();
  const request = sync.request();
  assertEquals(sync.settled(sync.start(), endsMidRun([user])), true);
  assertEquals(sync.event("chat.delta"), false);
  assertEquals(sync.event("chat.done"), true);
  assertEquals(sync.answered(request, true), false);
});

Deno.test("words posted into the session are read again at once only while a read is on its way", () => {
  const sync = new HistorySync();
  assertEquals(sync.event("chat.message"), false);
  // They are in the session before their event: a read asked for now holds them.
  const load = sync.start();
  assertEquals(sync.event("chat.message"), true);
  const again = sync.start();
  assertEquals(sync.settled(load), false);
  assertEquals(sync.settled(again), true);
  // The read they crossed was read again at once: the screen's next run is not.
  const request = sync.request();
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
  assertEquals(sync.answered(request, true), false);
});

Deno.test("a run whose events came while the history was on its way is read again at its end", () => {
  const sync = new HistorySync();
  const request = sync.request();
  const load = sync.start();
  // The answer streams in while the read is on its way: the read may predate it.
  assertEquals(sync.event("chat.delta"), false);
  assertEquals(sync.event("chat.done"), true);
  assertEquals(sync.answered(request, true), false);
  // The read asked for at the end is the one shown; the first one's late answer is dropped.
  const again = sync.start();
  assertEquals(sync.settled(load), false);
  assertEquals(sync.settled(again), true);
  // The screen's next run, seen whole, is not read again.
  const next = sync.request();
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
  assertEquals(sync.answered(next, true), false);
});

Deno.test("a run under way in the history read is read again at its end, even seen streaming", () => {
  // Back from the Approvals screen: the history ends on the tool's result, and the answer's
  // first words streamed before the screen listened; only its last ones come now.
  const sync = new HistorySync();
  assertEquals(sync.settled(sync.start(), endsMidRun([user, call, result])), true);
  assertEquals(sync.event("chat.delta"), false);
  assertEquals(sync.event("chat.done"), true);
  // Read again after it: the history is finished, and the screen's next run is not read again.
  assertEquals(sync.settled(sync.start(), endsMidRun([user, call, result, answer])), true);
  const request = sync.request();
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
  assertEquals(sync.answered(request, true), false);
});

Deno.test("a run that failed or was stopped is not read again, and leaves nothing to the next", () => {
  // A failure or a stop before any text leaves no line in the session: a read would take the
  // screen's note of it away.
  const sync = new HistorySync();
  sync.settled(sync.start(), endsMidRun([user, call, result]));
  assertEquals(sync.event("chat.error"), false);
  const request = sync.request();
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
  assertEquals(sync.answered(request, true), false);
  const stopped = sync.request();
  const load = sync.start();
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done", true), false);
  assertEquals(sync.answered(stopped, true), false);
  sync.settled(load);
  const next = sync.request();
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
  assertEquals(sync.answered(next, true), false);
});

Deno.test("another session's reads on their way are dropped, and its run forgotten", () => {
  const sync = new HistorySync();
  const load = sync.start();
  sync.event("chat.delta");
  sync.reset();
  assertEquals(sync.settled(load), false);
  assertEquals(sync.settled(sync.start()), true);
  const request = sync.request();
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
  assertEquals(sync.answered(request, true), false);
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
