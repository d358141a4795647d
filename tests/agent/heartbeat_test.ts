import { join } from "node:path";
import { assert, assertEquals, waitFor } from "../_helpers/assert.ts";
import { startChatGateway } from "../_helpers/chat_gateway.ts";
import { ManualClock } from "../_helpers/manual_clock.ts";
import { parseInterval } from "../../agent/heartbeat.ts";

interface Last {
  enabled: boolean;
  lastHeartbeatAt: string | null;
}

Deno.test("parseInterval reads 30m, 1h, 45s, 1500ms and bare minutes", () => {
  assertEquals(parseInterval("30m"), 1_800_000);
  assertEquals(parseInterval("1h"), 3_600_000);
  assertEquals(parseInterval("45s"), 45_000);
  assertEquals(parseInterval("1500ms"), 1_500);
  assertEquals(parseInterval("2"), 120_000);
  assertEquals(parseInterval("10ms"), 1_000, "never faster than once a second");
  assertEquals(parseInterval("soon"), undefined);
  assertEquals(parseInterval("0m"), undefined);
});

Deno.test("heartbeat runs an agent turn every interval and records system.heartbeat.last", async () => {
  const clock = new ManualClock();
  const start = clock.now();
  await using env = await startChatGateway({
    inProcess: true,
    clock,
    config: { agents: { defaults: { heartbeat: { enabled: true, every: "1s" } } } },
  });
  const client = await env.gw.connect();
  await clock.advance(1_000);
  await waitFor(
    async () => (await client.request("system.heartbeat.last")).lastHeartbeatAt,
    20_000,
    "a heartbeat",
  );
  const last = await client.request("system.heartbeat.last");
  assertEquals(last.enabled, true);
  assertEquals(last.lastHeartbeatAt, new Date(start + 1_000).toISOString());
  const sent = JSON.stringify(env.upstream.requests.at(-1)?.body.messages);
  assert(sent.includes("HEARTBEAT_OK"), "the heartbeat prompt reached the model");
  const session = join(env.gw.paths.sessionsDir("main"), "heartbeat.jsonl");
  assert((await Deno.readTextFile(session)).includes("Heartbeat"));

  // The next beat comes an interval after the last one ended.
  await clock.advance(1_000);
  await waitFor(
    async () =>
      (await client.request("system.heartbeat.last")).lastHeartbeatAt ===
        new Date(start + 2_000).toISOString(),
    20_000,
    "the second heartbeat",
  );
  assertEquals(env.upstream.requests.length, 2);
});

Deno.test("system.event with mode now brings the heartbeat forward with the event", async () => {
  const clock = new ManualClock();
  await using env = await startChatGateway({
    inProcess: true,
    clock,
    config: { agents: { defaults: { heartbeat: { enabled: true, every: "1h" } } } },
  });
  const client = await env.gw.connect();
  await client.request("system.event", { text: "Disk almost full on /var", mode: "now" });
  const at = await waitFor(
    async () => (await client.request("system.heartbeat.last")).lastHeartbeatAt,
    20_000,
  );
  assertEquals(at, new Date(clock.now()).toISOString(), "it beat with no time passing");
  const system = JSON.stringify(env.upstream.requests.at(-1)?.body.messages[0]);
  assert(system.includes("Disk almost full on /var"), system);
});

Deno.test("heartbeat is off by default: no turns, lastHeartbeatAt stays null", async () => {
  const clock = new ManualClock();
  await using env = await startChatGateway({ inProcess: true, clock });
  const client = await env.gw.connect();
  await client.request("system.event", { text: "hello", mode: "now" });
  // A beat would have started as the event was published; a day passing would bring the timed ones.
  assert(!env.gw.gateway.services.chat.isActive("main", "heartbeat"), "no heartbeat turn runs");
  await clock.advance(86_400_000);
  assertEquals(env.upstream.requests.length, 0);
  assertEquals(await client.request("system.heartbeat.last"), {
    enabled: false,
    lastHeartbeatAt: null,
  });
});
