import { join } from "node:path";
import { z } from "zod";
import { assert, assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";
import { GatewayError } from "../../../core/errors.ts";
import { defineTool } from "../../../tools/tool.ts";

/** A tool that ignores the abort: each call ends when the test releases it. */
function stubbornTool() {
  let release = Promise.withResolvers<void>();
  const tool = defineTool({
    name: "stubborn",
    description: "Waits, ignoring the abort",
    parameters: z.object({}),
    run: async () => {
      await release.promise;
      return { content: "STUBBORN RESULT" };
    },
  });
  return {
    tool,
    release: () => {
      release.resolve();
      release = Promise.withResolvers<void>();
    },
  };
}

async function lines(path: string): Promise<{ role: string; content: unknown }[]> {
  const text = await Deno.readTextFile(path);
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line));
}

Deno.test("chat.send runs in arrival order on a session not written since start, abortPrevious aborting the earlier", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  env.upstream.setDefault({ text: "ok" });
  // The first look at the session's file is slow (a busy disk): the second send must still
  // queue behind the first, not overtake it.
  const realPath = Deno.realPath;
  let calls = 0;
  Deno.realPath = async (path) => {
    if (calls++ === 0) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return await realPath(path);
  };
  try {
    const first = client.request("chat.send", { message: "FIRST", sessionId: "fresh" });
    const second = client.request("chat.send", {
      message: "SECOND",
      sessionId: "fresh",
      abortPrevious: true,
    });
    const [a, b] = await Promise.all([first, second]);
    assertEquals([a.aborted, b.completed], [true, true]);
  } finally {
    Deno.realPath = realPath;
  }
  const users = (await lines(join(env.gw.paths.sessionsDir("main"), "fresh.jsonl")))
    .filter((line) => line.role === "user").map((line) => line.content);
  assert(users.at(-1) === "SECOND", JSON.stringify(users));
});

Deno.test("sessions.reset and delete answer while a tool ignores the abort, and nothing of that run lands after", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  const path = join(env.gw.paths.sessionsDir("main"), "hang.jsonl");
  const stubborn = stubbornTool();
  env.gw.gateway.services.tools.register(stubborn.tool as never);
  for (const method of ["sessions.reset", "sessions.delete"]) {
    await client.request("chat.send", { message: "seed", sessionId: "hang" });
    env.upstream.reply({ toolCalls: [{ name: "stubborn", arguments: {} }] });
    const events = recordEvents(client);
    const sending = client.request("chat.send", { message: "go", sessionId: "hang" });
    await events.next("chat.tool_call");
    // Answers although the tool has not ended (before, it waited for it without end).
    await client.request(method, { path });
    const after = method === "sessions.reset" ? await Deno.readTextFile(path) : "";
    assertEquals(after, "");
    // A message sent now runs after the stubborn run ends, on the emptied session.
    env.upstream.reply({ text: "NEW ANSWER" });
    const next = client.request("chat.send", { message: "NEW", sessionId: "hang" });
    stubborn.release();
    assertEquals((await sending).aborted, true);
    assertEquals((await next).completed, true);
    events.stop();
    assertEquals(
      (await lines(path)).map((line) => [line.role, line.content]),
      [["user", "NEW"], ["assistant", "NEW ANSWER"]],
    );
    await client.request("sessions.delete", { path });
  }
});

Deno.test("a chat.send arriving while sessions.reset waits runs after the reset, its message kept", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  const path = join(env.gw.paths.sessionsDir("main"), "race.jsonl");
  const stubborn = stubbornTool();
  env.gw.gateway.services.tools.register(stubborn.tool as never);
  for (const method of ["sessions.reset", "sessions.delete"]) {
    await client.request("chat.send", { message: "seed", sessionId: "race" });
    env.upstream.reply({ toolCalls: [{ name: "stubborn", arguments: {} }] });
    env.upstream.reply({ text: "B answer" });
    const events = recordEvents(client);
    const first = client.request("chat.send", { message: "A", sessionId: "race" });
    await events.next("chat.tool_call");
    const resetting = client.request(method, { path });
    // Another client's message comes in while the reset waits for A to end.
    const second = client.request("chat.send", { message: "B", sessionId: "race" });
    await new Promise((resolve) => setTimeout(resolve, 20));
    stubborn.release();
    await resetting;
    assertEquals((await first).aborted, true);
    assertEquals((await second).completed, true);
    events.stop();
    assertEquals(
      (await lines(path)).map((line) => [line.role, line.content]),
      [["user", "B"], ["assistant", "B answer"]],
    );
    await client.request("sessions.delete", { path });
  }
});

Deno.test("a sessions.compact begun while sessions.reset waits compacts the emptied session, writing no summary of the erased one", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const stubborn = stubbornTool();
  env.gw.gateway.services.tools.register(stubborn.tool as never);
  const client = await env.gw.connect();
  await client.request("chat.send", { message: "my secret is 1234", sessionId: "f" });
  await client.request("chat.send", { message: "two", sessionId: "f" });
  const path = join(env.gw.paths.sessionsDir("main"), "f.jsonl");
  env.upstream.reply({ toolCalls: [{ name: "stubborn", arguments: {} }] });
  env.upstream.setDefault({ text: "SUMMARY: the user's secret is 1234" });
  const events = recordEvents(client);
  const sending = client.request("chat.send", { message: "three", sessionId: "f" });
  await events.next("chat.tool_call");
  const resetting = client.request("sessions.reset", { path });
  // Joins the queue behind the reset (nothing to compact then), or is aborted by it if it
  // got in first; either way no summary of the erased turns is written.
  const compacting = client.request("sessions.compact", { path }).then(
    (result) => result.compacted,
    (error: GatewayError) => error.code,
  );
  await new Promise((resolve) => setTimeout(resolve, 20));
  stubborn.release();
  await resetting;
  assert([false, "ABORTED"].includes(await compacting));
  await sending;
  events.stop();
  assertEquals(await Deno.readTextFile(path), "");
});

Deno.test("a sessions.compact that joined another reports ABORTED when that one is aborted", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const x = await env.gw.connect();
  const y = await env.gw.connect();
  await x.request("chat.send", { message: "one", sessionId: "fold" });
  await x.request("chat.send", { message: "two", sessionId: "fold" });
  const path = join(env.gw.paths.sessionsDir("main"), "fold.jsonl");
  const asked = Promise.withResolvers<void>();
  env.upstream.reply(() => {
    asked.resolve();
    return { text: "Summary", delayMs: 60_000 };
  });
  const first = x.request("sessions.compact", { path });
  first.catch(() => {});
  await asked.promise;
  const joined = y.request("sessions.compact", { path });
  joined.catch(() => {});
  // y's request reaches the gateway before x goes.
  await y.request("sessions.list", {});
  await x.close();
  const error = await assertRejects(() => joined, GatewayError);
  assertEquals(error.code, "ABORTED");
});

Deno.test("chat.abort stops the message tool's Telegram send under way", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const method = new URL(req.url).pathname.split("/").pop();
    await req.text();
    if (method === "getMe") {
      return Response.json({
        ok: true,
        result: { id: 42, is_bot: true, first_name: "F", username: "fb" },
      });
    }
    // Neither answers until the client goes: a long poll, and a send that hangs.
    await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve()));
    return Response.json({ ok: true, result: [] });
  });
  try {
    await using env = await startChatGateway({
      inProcess: true,
      config: {
        channels: {
          telegram: {
            botToken: "123:abc",
            apiBaseUrl: `http://127.0.0.1:${server.addr.port}`,
            pollTimeoutSec: 1,
            allowFrom: [111],
          },
        },
      },
    });
    env.upstream.reply(
      {
        toolCalls: [{
          name: "message",
          arguments: { channel: "telegram", recipient: "111", text: "hi" },
        }],
      },
      { text: "sent" },
    );
    const client = await env.gw.connect();
    const events = recordEvents(client);
    const sending = client.request("chat.send", { message: "tell", sessionId: "h" });
    await events.next("chat.tool_call");
    await client.request("chat.abort", { sessionId: "h" });
    // The send is cut, not waited for (it never answers), and the run ends aborted.
    assertEquals((await sending).aborted, true);
    assertEquals(events.named("chat.tool_result"), []);
    events.stop();
  } finally {
    await server.shutdown();
  }
});
