import { join } from "node:path";
import { assert, assertEquals, assertRejects, waitFor } from "../../_helpers/assert.ts";
import { GatewayError } from "../../../core/errors.ts";
import type { GatewayClient } from "../../../core/protocol/client.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";
import { type FakeTelegram, startFakeTelegram } from "../../_helpers/fake_telegram.ts";

interface Status {
  channel_id: string;
  name: string;
  running: boolean;
  status: string;
  metrics?: {
    received: number;
    sent: number;
    rejected: number;
    reconnects: number;
    lastError?: string;
  };
}

const telegramConfig = (telegram: FakeTelegram, extra: Record<string, unknown> = {}) => ({
  botToken: telegram.token,
  apiBaseUrl: telegram.url,
  pollTimeoutSec: 1,
  retryBaseMs: 100,
  retryMaxMs: 400,
  ...extra,
});

const status = (client: GatewayClient, id: string) =>
  client.request("channels.status", { channelId: id });

Deno.test("channels.list and channels.status show webchat; bad ids are refused", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  assertEquals(await client.request("channels.list"), [
    { id: "webchat", type: "webchat", status: "running" },
  ]);
  const webchat = await client.request("channels.status", { channel_id: "webchat" });
  assertEquals([webchat.channel_id, webchat.running, webchat.status], ["webchat", true, "running"]);
  const missing = await assertRejects(
    () => client.request("channels.status", { channelId: "telegram" }),
    GatewayError,
  );
  assertEquals(missing.code, "NOT_FOUND");
  const noId = await assertRejects(() => client.request("channels.status", {}), GatewayError);
  assertEquals(noId.code, "INVALID_PARAMS");
});

Deno.test("telegram messages are routed by bindings, allowFrom gates senders, replies go back", async () => {
  await using telegram = await startFakeTelegram();
  await using env = await startChatGateway({
    inProcess: true,
    config: {
      channels: {
        telegram: telegramConfig(telegram, { dmPolicy: "allowlist", allowFrom: [111, "@carol"] }),
      },
      agents: {
        list: [{ id: "main" }, { id: "helper", systemPrompt: "You are the helper agent" }],
      },
      bindings: [{ pattern: "telegram:-100*", agentId: "helper" }],
    },
  });
  const client = await env.gw.connect();
  await waitFor(async () => (await status(client, "telegram")).running, 20_000, "telegram running");

  telegram.push({ chatId: 111, fromId: 111, text: "hello from alice" });
  telegram.push({ chatId: 999, fromId: 999, text: "let me in" }); // not in allowFrom
  telegram.push({
    chatId: -100555,
    fromId: 333,
    username: "Carol",
    text: "group question",
    chatType: "supergroup",
  });
  const sent = await telegram.waitForSent(2);
  // The channel has counted both replies and refused the stranger (silently, under allowlist).
  await waitFor(
    async () => {
      const { metrics } = await status(client, "telegram");
      return metrics?.sent === 2 && metrics.rejected === 1;
    },
    20_000,
    "two replies and one refusal counted",
  );
  assertEquals(telegram.sent.length, 2, "the stranger got no answer");
  const byChat = new Map(sent.map((m) => [String(m.chat_id), m.text]));
  assert(byChat.get("111")?.includes("hello from alice"), byChat.get("111"));
  assert(byChat.get("-100555")?.includes("group question"), byChat.get("-100555"));

  // The group's turn ran as the helper agent, in a session of its own.
  const helperRequest = env.upstream.requests.find((r) =>
    JSON.stringify(r.body).includes("group question")
  );
  assert(JSON.stringify(helperRequest?.body.messages[0]).includes("You are the helper agent"));
  const helperSession = join(env.gw.paths.sessionsDir("helper"), "telegram--100555.jsonl");
  assert((await Deno.readTextFile(helperSession)).includes("group question"));
  const mainSession = join(env.gw.paths.sessionsDir("main"), "telegram-111.jsonl");
  assert((await Deno.readTextFile(mainSession)).includes("hello from alice"));

  const tg = await status(client, "telegram");
  assertEquals([tg.running, tg.status, tg.name], [true, "running", "Telegram (@fakebot)"]);
  assertEquals([tg.metrics?.received, tg.metrics?.sent, tg.metrics?.rejected], [3, 2, 1]);
  const list = await client.request("channels.list");
  assertEquals(list.map((c) => [c.id, c.status]), [["webchat", "running"], [
    "telegram",
    "running",
  ]]);
  const presence = await client.request(
    "system.presence",
  );
  assert(presence.entries.some((e) => e.kind === "channel" && e.id === "telegram"));
});

Deno.test("telegram reconnects with backoff after the API goes away, and says so", async () => {
  await using telegram = await startFakeTelegram();
  await using env = await startChatGateway({
    inProcess: true,
    config: { channels: { telegram: telegramConfig(telegram, { dmPolicy: "open" }) } },
  });
  const client = await env.gw.connect();
  await waitFor(async () => (await status(client, "telegram")).running, 20_000, "telegram running");
  telegram.setDown(true);
  const down = await waitFor(
    async () => {
      const s = await status(client, "telegram");
      return s.status === "reconnecting" && s.metrics!.reconnects >= 2 ? s : undefined;
    },
    20_000,
    "reconnecting",
  );
  assertEquals(down?.running, false);
  assert(down?.metrics?.lastError?.includes("502"), down?.metrics?.lastError);
  assert(!down?.metrics?.lastError?.includes(telegram.token), "the token never shows");
  telegram.setDown(false);
  await waitFor(
    async () => (await status(client, "telegram")).status === "running",
    20_000,
    "back",
  );
  telegram.push({ chatId: 7, fromId: 7, text: "still there?" });
  const [reply] = await telegram.waitForSent(1);
  assert(reply.text.includes("still there?"));
});

Deno.test("telegram dmPolicy pairing tells a stranger their id; disabled says nothing", async () => {
  await using telegram = await startFakeTelegram();
  await using env = await startChatGateway({
    inProcess: true,
    config: { channels: { telegram: telegramConfig(telegram, { dmPolicy: "pairing" }) } },
  });
  const client = await env.gw.connect();
  await waitFor(async () => (await status(client, "telegram")).running, 20_000, "telegram running");
  telegram.push({ chatId: 4242, fromId: 4242, text: "hi" });
  const [reply] = await telegram.waitForSent(1);
  assert(reply.text.includes("4242") && reply.text.includes("allowFrom"), reply.text);
  assertEquals(env.upstream.requests.length, 0, "the agent never saw the stranger");

  await env.gw.configStore.set("channels.telegram.dmPolicy", "disabled");
  await waitFor(async () => (await status(client, "telegram")).running, 20_000, "restarted");
  telegram.push({ chatId: 4242, fromId: 4242, text: "hi again" });
  await waitFor(async () => (await status(client, "telegram")).metrics!.rejected >= 1, 20_000);
  assertEquals(telegram.sent.length, 1);
});
