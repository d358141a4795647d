/** Which connections receive which events: a session's events go to its clients only. */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../_helpers/chat_gateway.ts";
import type { GatewayClient } from "../../core/protocol/client.ts";

/**
 * Sends a no-session event and waits until `client` has it: every event sent before it has then
 * reached the client too, so what the client lacks now it will never get.
 */
async function flush(sender: GatewayClient, client: GatewayClient, text: string) {
  const events = recordEvents(client);
  await sender.request("system.event", { text });
  await events.next("system.event", (payload) => payload.text === text);
  events.stop();
}

Deno.test("chat events reach the sender, the session's readers and all-event observers only", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const sender = await env.gw.connect();
  const reader = await env.gw.connect();
  const observer = await env.gw.connect({ events: "all" });
  const idle = await env.gw.connect();
  const otherSession = await env.gw.connect();
  const recorded = [sender, reader, observer, idle, otherSession].map(recordEvents);
  const [fromSender, fromReader, fromObserver, fromIdle, fromOther] = recorded;
  // Reading a session that has no file yet still makes the client one of its watchers.
  await reader.request("chat.history", { sessionId: "s1" }).catch(() => {});
  env.upstream.reply({ text: "first" }, { text: "second" });
  await otherSession.request("chat.send", { sessionId: "s2", message: "elsewhere" });
  await sender.request("chat.send", { sessionId: "s1", message: "hello" });
  for (const client of [sender, reader, observer, idle, otherSession]) {
    await flush(sender, client, `flush-${crypto.randomUUID()}`);
  }
  const sessionsSeen = (recorder: typeof fromSender) =>
    [...new Set(recorder.named("chat.done").map((payload) => payload.sessionId))].sort();
  assertEquals(sessionsSeen(fromSender), ["s1"]);
  assertEquals(sessionsSeen(fromReader), ["s1"]);
  assertEquals(sessionsSeen(fromObserver), ["s1", "s2"]);
  assertEquals(sessionsSeen(fromOther), ["s2"]);
  assertEquals(fromIdle.frames.filter((frame) => frame.event.startsWith("chat.")), []);
  // Non-session events still reach everyone, the idle client included.
  assert(fromIdle.named("system.event").length >= 5);
  // The reader saw the whole run, text included.
  assertEquals(fromReader.named("chat.delta").map((p) => p.delta).join(""), "second");
});

Deno.test("each connection numbers its own events, however many share one frame", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const first = await env.gw.connect({ events: "all" });
  const firstEvents = recordEvents(first);
  // The first client gets events the second never sees, so their seq counters drift apart.
  env.upstream.reply({ chunks: ["a", "b", "c"] }, { chunks: ["x", "y"] });
  const solo = await env.gw.connect();
  await solo.request("chat.send", { sessionId: "solo", message: "one" });
  const second = await env.gw.connect({ events: "all" });
  const secondEvents = recordEvents(second);
  await solo.request("chat.send", { sessionId: "solo", message: "two" });
  await firstEvents.next(
    "chat.done",
    (p) => p.sessionId === "solo" && firstEvents.named("chat.done").length === 2,
  );
  await secondEvents.next("chat.done");
  for (const { frames } of [firstEvents, secondEvents]) {
    const seqs = frames.map((frame) => frame.seq);
    assertEquals(seqs, seqs.map((_, i) => seqs[0] + i), "seq runs without gaps per connection");
  }
  assert(firstEvents.frames.length > secondEvents.frames.length);
  // The frames they share carry the same payload.
  const lastDelta = (frames: typeof firstEvents.frames) =>
    frames.filter((frame) => frame.event === "chat.delta").at(-1)?.payload;
  assertEquals(lastDelta(firstEvents.frames), lastDelta(secondEvents.frames));
});

Deno.test("a file send_file delivers inline reaches the session's clients, not every client", async () => {
  await using env = await startChatGateway({ inProcess: true });
  await Deno.mkdir(env.gw.paths.workspaceDir, { recursive: true });
  await Deno.writeTextFile(`${env.gw.paths.workspaceDir}/note.txt`, "private note");
  const sender = await env.gw.connect();
  const stranger = await env.gw.connect();
  const fromSender = recordEvents(sender);
  const fromStranger = recordEvents(stranger);
  env.upstream.reply(
    { toolCalls: [{ name: "send_file", arguments: { path: "note.txt" } }] },
    { text: "Sent" },
  );
  await sender.request("chat.send", { sessionId: "mine", message: "Send me the note" });
  const file = await fromSender.next("chat.file");
  assertEquals([file.sessionId, file.name, atob(file.data)], ["mine", "note.txt", "private note"]);
  await flush(sender, stranger, "after the file");
  assertEquals(fromStranger.named("chat.file"), []);
});
