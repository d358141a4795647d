/**
 * @module What a turn costs the connections that take no part in it, counted rather than timed
 * (issue 17: a turn with 1,000 idle clients connected must cost what it costs with none;
 * `npm run bench:quick` is the timed check). A loop over every connection per event, token or
 * turn (a broadcast, presence, a snapshot of the clients, per-connection stats) shows here as
 * calls on the idle connections' `Connection` objects or frames they receive.
 */

import { assert, assertEquals, waitFor } from "../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../_helpers/chat_gateway.ts";
import { Connection } from "../../server/connection.ts";
import { createLinkedPair } from "../../core/protocol/transport.ts";
import { GatewayClient } from "../../core/protocol/client.ts";

const IDLE = 30;

/** The `Connection` members to watch: what any per-connection pass would call or read. */
const WATCHED = ["sendEncoded", "sendEvent", "close", "authenticated", "info"];

/** Counts, per connection id, the watched members used while `work` runs. */
async function connectionUseDuring(work: () => Promise<unknown>): Promise<Map<string, string[]>> {
  const used = new Map<string, string[]>();
  const note = (connection: Connection, member: string) => {
    used.set(connection.id, [...(used.get(connection.id) ?? []), member]);
  };
  const proto = Connection.prototype as unknown as Record<string, unknown>;
  const saved = new Map<string, PropertyDescriptor>();
  for (const member of WATCHED) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, member);
    if (descriptor?.get) {
      saved.set(member, descriptor);
      Object.defineProperty(proto, member, {
        ...descriptor,
        get(this: Connection) {
          note(this, member);
          return descriptor.get!.call(this);
        },
      });
    } else if (typeof descriptor?.value === "function") {
      saved.set(member, descriptor);
      const original = descriptor.value as (...args: unknown[]) => unknown;
      Object.defineProperty(proto, member, {
        ...descriptor,
        value(this: Connection, ...args: unknown[]) {
          note(this, member);
          return original.apply(this, args);
        },
      });
    }
  }
  try {
    await work();
  } finally {
    for (const [member, descriptor] of saved) Object.defineProperty(proto, member, descriptor);
  }
  return used;
}

Deno.test("a turn makes no call on the idle connections and sends them nothing", async () => {
  await using env = await startChatGateway({ inProcess: true });
  env.upstream.reply(...Array.from({ length: 2 }, () => ({ chunks: ["one ", "two ", "three"] })));
  const sender = await env.gw.connect();
  const send = (message: string) => sender.request("chat.send", { sessionId: "s", message });
  await send("warm");

  const senderEvents = recordEvents(sender);
  const idle = await Promise.all(Array.from({ length: IDLE }, () => env.gw.connect()));
  // The presence event that the connects cause (coalesced, ~1 s on) is theirs, not the turn's.
  await senderEvents.next("presence", (payload) => payload.connections === IDLE + 1);
  const idleEvents = idle.map(recordEvents);

  const used = await connectionUseDuring(() => send("crowded"));

  // The sender's own connection did the turn's sending; nothing else was touched.
  const senderId = sender.hello!.connId!;
  assertEquals([...used.keys()].filter((id) => id !== senderId), []);
  assert(used.get(senderId)?.includes("sendEncoded"), "the watch sees the sender's frames");
  // Every frame sent before this broadcast reached its client before it (links keep order).
  await sender.request("system.event", { text: "flush" });
  for (const events of idleEvents) {
    await events.next("system.event", (payload) => payload.text === "flush");
    assertEquals(events.frames.map((frame) => frame.event), ["system.event"]);
  }
});

Deno.test("health counts the clients without a call on any other connection", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const caller = await env.gw.connect();
  const idle = await Promise.all(Array.from({ length: IDLE }, () => env.gw.connect()));

  // 1,000 clients each calling health once (a start-up probe burst) made a million entries.
  let health: Record<string, unknown> | undefined;
  const used = await connectionUseDuring(async () => {
    health = await caller.request("health") as Record<string, unknown>;
  });
  const callerId = caller.hello!.connId!;
  assertEquals([...used.keys()].filter((id) => id !== callerId), []);
  assertEquals(health?.connections, IDLE + 1);

  // A client that leaves is no longer counted, one that has not finished connect never was.
  idle[0].close();
  const [pending, other] = createLinkedPair();
  env.gw.gateway.attach(pending, { address: "127.0.0.1", local: true });
  try {
    await waitFor(async () =>
      (await caller.request("health") as Record<string, unknown>).connections === IDLE
    );
  } finally {
    other.close(1000, "");
  }
});

Deno.test("a client whose connect reply cannot be sent is neither counted nor sent events", async () => {
  await using env = await startChatGateway({ inProcess: true });
  env.upstream.reply({ chunks: ["one"] });
  const caller = await env.gw.connect();
  const [serverSide, clientSide] = createLinkedPair();
  // The hello fails to go out: the connection closes before its connect counts as done.
  const refused = Promise.withResolvers<void>();
  serverSide.send = () => {
    refused.resolve();
    throw new Error("the client's socket went away");
  };
  env.gw.gateway.attach(serverSide, { address: "127.0.0.1", local: true });
  const lost = new GatewayClient(clientSide);
  const handshake = lost.handshake({ token: env.gw.token, clientName: "lost", events: "all" });
  handshake.catch(() => {}); // it never gets its hello; closed below
  await refused.promise;
  assertEquals((await caller.request("health") as Record<string, unknown>).connections, 1);
  // A turn's events go to the clients that want everything: none of them is the lost one.
  await caller.request("chat.send", { sessionId: "s", message: "hi" });
  assertEquals((await caller.request("health") as Record<string, unknown>).connections, 1);
  lost.close();
});
