import { assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../_helpers/chat_gateway.ts";
import { startFakeTelegram } from "../_helpers/fake_telegram.ts";

const messageCall = (channel: string, recipient: string, text: string) => ({
  name: "message",
  arguments: { channel, recipient, text },
});

Deno.test("message tool: sends to an allowed Telegram chat; unknown channels and recipients are refused", async () => {
  await using telegram = await startFakeTelegram();
  await using env = await startChatGateway({
    inProcess: true,
    config: {
      channels: {
        telegram: {
          botToken: telegram.token,
          apiBaseUrl: telegram.url,
          pollTimeoutSec: 1,
          dmPolicy: "allowlist",
          allowFrom: [111, "@carol"],
        },
      },
    },
  });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  env.upstream.reply(
    {
      toolCalls: [
        messageCall("telegram", "111", "Your build is green"),
        messageCall("slack", "C123", "hi"),
        messageCall("telegram", "999", "hi stranger"),
        messageCall("webchat", "anyone", "hi"),
      ],
    },
    { text: "Told them." },
  );
  await client.request("chat.send", { message: "Tell alice the build is green" });
  const results = events.named("chat.tool_result");
  assertEquals(results.map((r) => r.isError), [false, true, true, true]);
  assertEquals(results[0].result, { channel: "telegram", recipient: "111", sent: true });
  assertMatch(results[1].result, /Unknown channel: slack \(configured: telegram\)/);
  assertMatch(results[2].result, /Recipient 999 is not allowed on telegram/);
  assertMatch(results[3].result, /cannot send to a recipient/);
  await telegram.waitForSent(1);
  assertEquals(telegram.sent.map((m) => [String(m.chat_id), m.text]), [
    ["111", "Your build is green"],
  ]);
});

Deno.test("message tool: a disabled dmPolicy refuses every recipient, an open one any", async () => {
  for (const [dmPolicy, refused] of [["disabled", true], ["open", false]] as const) {
    await using telegram = await startFakeTelegram();
    await using env = await startChatGateway({
      inProcess: true,
      config: {
        channels: {
          telegram: { botToken: telegram.token, apiBaseUrl: telegram.url, dmPolicy },
        },
      },
    });
    const client = await env.gw.connect({ events: "all" });
    const events = recordEvents(client);
    env.upstream.reply({ toolCalls: [messageCall("telegram", "555", "hello")] }, { text: "ok" });
    await client.request("chat.send", { message: "send it" });
    assertEquals(events.named("chat.tool_result")[0].isError, refused, dmPolicy);
    if (!refused) assertEquals((await telegram.waitForSent(1))[0].text, "hello");
  }
});

Deno.test("message tool: posts into another session, whose clients see it; unknown sessions are refused", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "I am the other session", sessionId: "other" });
  env.upstream.reply(
    {
      toolCalls: [
        messageCall("session", "other", "Note from main: lunch at noon"),
        messageCall("session", "main/ghost", "hello?"),
        messageCall("session", "main", "to myself"),
        messageCall("session", "../etc", "escape"),
      ],
    },
    { text: "Posted." },
  );
  await client.request("chat.send", { message: "Tell the other session about lunch" });
  const results = events.named("chat.tool_result");
  assertEquals(results.map((r) => r.isError), [false, true, true, true]);
  assertMatch(results[1].result, /Session not found: main\/ghost/);
  assertMatch(results[2].result, /current session/);
  assertMatch(results[3].result, /Invalid agent id: \.\./);
  const posted = await events.next("chat.message");
  assertEquals(posted, {
    agentId: "main",
    sessionId: "other",
    role: "assistant",
    text: "Note from main: lunch at noon",
    from: { agentId: "main", sessionId: "main" },
  });
  const history = await client.request(
    "chat.history",
    { sessionId: "other" },
  );
  assertEquals(history.messages.at(-1), {
    ...history.messages.at(-1)!,
    role: "assistant",
    content: "Note from main: lunch at noon",
  });
  await waitFor(() => events.named("chat.done").length >= 2, 20_000, "the run to end");
});
