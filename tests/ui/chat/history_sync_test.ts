/**
 * @module When the chat screen reads its session's history again (ui/chat/history_sync.ts): a
 * run whose events crossed a history read, or whose answer text the screen never saw, is read
 * again at its `chat.done`; a run seen whole is not; an earlier read's late answer is dropped.
 */

import { assertEquals } from "../../_helpers/assert.ts";
import { HistorySync } from "../../../ui/chat/history_sync.ts";

Deno.test("a run seen whole, after the history came, is not read again", () => {
  const sync = new HistorySync();
  const load = sync.start();
  assertEquals(sync.settled(load), true);
  assertEquals(
    ["chat.tool_call", "chat.tool_result", "chat.delta", "chat.delta"].map((name) =>
      sync.event(name as "chat.delta")
    ),
    [false, false, false, false],
  );
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

Deno.test("a run whose answer text never came is read again at its end", () => {
  const sync = new HistorySync();
  sync.settled(sync.start());
  // The text streamed while the screen was away (the Approvals screen): only the end is seen.
  assertEquals(sync.event("chat.done"), true);
});

Deno.test("another session's reads on their way are dropped, and its run's state forgotten", () => {
  const sync = new HistorySync();
  const load = sync.start();
  sync.event("chat.delta");
  sync.reset();
  assertEquals(sync.settled(load), false);
  const next = sync.start();
  assertEquals(sync.settled(next), true);
  sync.event("chat.delta");
  assertEquals(sync.event("chat.done"), false);
});
