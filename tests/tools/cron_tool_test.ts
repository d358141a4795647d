import { assert, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../_helpers/chat_gateway.ts";
import { type FakeTelegram, startFakeTelegram } from "../_helpers/fake_telegram.ts";
import { ManualClock } from "../_helpers/manual_clock.ts";
import type { GatewayClient } from "../../core/protocol/client.ts";

interface Job {
  id: string;
  name?: string;
  cron: string;
  message: string;
  sessionId: string;
  createdBy?: Record<string, string>;
  nextRunAt: string | null;
}

const cronCall = (args: Record<string, unknown>) => ({ name: "cron", arguments: args });
const jobs = (client: GatewayClient) => client.request("cron.list");

const telegramConfig = (telegram: FakeTelegram) => ({
  botToken: telegram.token,
  apiBaseUrl: telegram.url,
  pollTimeoutSec: 1,
  dmPolicy: "allowlist",
  allowFrom: [111],
});

Deno.test("cron tool: a one-time reminder made in a chat fires in that session, then goes", async () => {
  const clock = new ManualClock();
  await using env = await startChatGateway({ inProcess: true, clock });
  const client = await env.gw.connect();
  const events = recordEvents(client);
  const at = new Date(clock.now() + 2_000).toISOString();
  env.upstream.reply(
    {
      toolCalls: [cronCall({
        action: "add",
        name: "water",
        schedule_type: "once",
        at,
        message: "Drink a glass of water",
      })],
    },
    { text: "I will remind you." },
  );
  await client.request("chat.send", { message: "Remind me to drink water in two seconds" });
  const [result] = events.named("chat.tool_result");
  assertEquals(result.isError, false, JSON.stringify(result.result));
  const [job] = await jobs(client);
  assertEquals([job.name, job.sessionId, job.message], ["water", "main", "Drink a glass of water"]);
  assertEquals(job.createdBy, { via: "tool", agentId: "main", sessionId: "main" });
  assertEquals(job.cron, `@at ${at}`);

  await clock.advance(2_000);
  // The reminder's turn runs in session "main"; its answer reaches main's clients.
  const reminder = await events.next(
    "chat.done",
    (p) => p.sessionId === "main" && events.named("chat.done").length >= 2,
    20_000,
  );
  assertEquals(reminder.aborted, false);
  const asked = JSON.stringify(env.upstream.requests.at(-1)?.body.messages.at(-1));
  assertMatch(asked, /Scheduled job \\"water\\" is due\] Drink a glass of water/);
  const history = await client.request(
    "chat.history",
    { sessionId: "main" },
  );
  assertMatch(history.messages.at(-1)!.content as string, /^Echo: .*Drink a glass of water/);
  // A one-time job is gone once it ran; its run stays in the history.
  await waitFor(async () => (await jobs(client)).length === 0, 20_000, "the job to go");
  const { records } = await client.request("cron.history", {
    jobId: job.id,
  });
  assertEquals(records.map((r) => r.status), ["ok"]);
});

Deno.test("cron tool: a job made in a Telegram chat answers in that chat; list and remove by name", async () => {
  await using telegram = await startFakeTelegram();
  const clock = new ManualClock();
  await using env = await startChatGateway({
    inProcess: true,
    clock,
    config: { channels: { telegram: telegramConfig(telegram) } },
  });
  const client = await env.gw.connect({ events: "all" });
  // Replies go by what was asked rather than by arrival order: a firing must not take a reply
  // meant for another turn.
  const admin = [
    { toolCalls: [cronCall({ action: "list" })] },
    { toolCalls: [cronCall({ action: "remove", name: "oven" })] },
    { toolCalls: [cronCall({ action: "list" })] },
    { text: "Removed." },
  ];
  env.upstream.setDefault((request) => {
    const messages: { role: string; content: unknown }[] = request.body.messages;
    const user = JSON.stringify(messages.findLast((m) => m.role === "user")?.content);
    const afterTool = messages.at(-1)?.role === "tool";
    if (user.includes("Oven?")) return { text: 'Echo: [Scheduled job "oven" is due] Oven?' };
    if (user.includes("check the oven")) {
      return afterTool ? { text: "Every second, then." } : {
        toolCalls: [cronCall({ action: "add", name: "oven", every_seconds: 1, message: "Oven?" })],
      };
    }
    return admin.shift() ?? { text: "?" };
  });
  telegram.push({ chatId: 111, fromId: 111, text: "check the oven every second" });
  await telegram.waitForSent(1, 20_000);
  await clock.advance(1_000);
  const sent = await telegram.waitForSent(2, 20_000);
  assertEquals(String(sent[0].chat_id), "111");
  assertEquals(sent[0].text, "Every second, then.");
  assertEquals(String(sent[1].chat_id), "111");
  assertMatch(sent[1].text, /^Echo: \[Scheduled job "oven" is due\] Oven\?/);
  const [job] = await jobs(client);
  assertEquals([job.sessionId, job.cron], ["telegram-111", "@every 1s"]);
  assertEquals(job.createdBy, { via: "tool", agentId: "main", sessionId: "telegram-111" });
  // The agent's message reached the model as the job's reminder.
  assert(
    env.upstream.requests.some((r) =>
      /Scheduled job \\"oven\\" is due\] Oven\?/.test(JSON.stringify(r.body.messages.at(-1)))
    ),
    "the job's message reached the model",
  );

  const events = recordEvents(client);
  await client.request("chat.send", { message: "Stop the oven job", sessionId: "admin" });
  const results = events.named("chat.tool_result").filter((r) => r.sessionId === "admin");
  assertEquals(results.map((r) => r.isError), [false, false, false]);
  assertEquals(results[0].result.jobs.map((j: Job) => j.name), ["oven"]);
  assertEquals(results[1].result, { removed: job.id });
  assertEquals(results[2].result.jobs, []);
  assertEquals(await jobs(client), []);
});

Deno.test("cron tool: incomplete, past and duplicate schedules are refused and change nothing", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect({ events: "all" });
  const events = recordEvents(client);
  env.upstream.reply(
    {
      toolCalls: [
        cronCall({ action: "add", name: "a", schedule_type: "cron", message: "x" }),
        cronCall({ action: "add", name: "b", at: "2001-01-01T00:00:00Z", message: "x" }),
        cronCall({ action: "add", name: "c", schedule: "every day", message: "x" }),
        cronCall({ action: "add", name: "d", schedule: "0 9 * * *" }),
        cronCall({ action: "add", name: "e", every_seconds: 0, message: "x" }),
        cronCall({ action: "remove", name: "nothing" }),
        cronCall({ action: "add", name: "f", schedule: "0 9 * * *", message: "Standup" }),
        cronCall({ action: "add", name: "f", at: "09:30", message: "Again" }),
      ],
    },
    { text: "Done" },
  );
  await client.request("chat.send", { message: "schedule things" });
  const results = events.named("chat.tool_result");
  assertEquals(results.map((r) => r.isError), [true, true, true, true, true, true, false, true]);
  assertMatch(results[0].result, /needs schedule/);
  assertMatch(results[1].result, /in the past/);
  assertMatch(results[2].result, /Invalid cron expression/);
  assertMatch(results[3].result, /needs message/);
  assertMatch(results[5].result, /No scheduled job named nothing/);
  assertMatch(results[7].result, /already exists/);
  const list = await jobs(client);
  assertEquals(list.map((j) => [j.name, j.cron]), [["f", "0 9 * * *"]]);
  assert(list[0].nextRunAt);
});
