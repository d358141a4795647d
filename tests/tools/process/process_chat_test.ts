import { assertEmptySoon, assertEquals, assertMatch, waitFor } from "../../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";
import type { RecordedRequest } from "../../_helpers/fake_openai.ts";

const allow = { tools: { exec: { policy: "allow" } } };

/** Command lines of running processes that mention `marker`. */
async function running(marker: string): Promise<string[]> {
  const ps = await new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).output();
  return new TextDecoder().decode(ps.stdout).split("\n").filter((line) => line.includes(marker));
}

/** A command whose child lives on, with a marker in its own command line. */
function longCommand(marker: string): string {
  return `echo ready; sh -c 'sleep 300; echo ${marker}' & wait`;
}

/** The pid the last tool result in the request reports. */
function lastPid(request: RecordedRequest): number {
  const tool = request.body.messages.filter((m: { role: string }) => m.role === "tool").at(-1);
  return Number(/pid (\d+)/.exec(tool.content)![1]);
}

Deno.test("process in a chat: start, poll, list, kill, with nothing left behind", async () => {
  await using env = await startChatGateway({ inProcess: true, config: allow });
  const marker = `pyclaw-bg-${crypto.randomUUID().slice(0, 8)}`;
  env.upstream.reply(
    {
      toolCalls: [{
        name: "process",
        arguments: { action: "start", command: longCommand(marker) },
      }],
    },
    (request) => ({
      toolCalls: [{
        name: "process",
        arguments: { action: "poll", pid: lastPid(request), timeout: 5_000 },
      }],
    }),
    { toolCalls: [{ name: "process", arguments: { action: "list" } }] },
    (request) => ({
      toolCalls: [{ name: "process", arguments: { action: "kill", pid: lastPid(request) } }],
    }),
    { text: "Stopped it" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "Run the server" });
  const [start, poll, list, kill] = events.named("chat.tool_result");
  assertEquals(start.isError, false, JSON.stringify(start));
  assertEquals(start.result.running, true);
  assertEquals(poll.result.pid, start.result.pid);
  assertEquals(poll.result.output, "ready\n");
  assertEquals(poll.result.running, true);
  assertEquals(list.result.processes.map((p: { pid: number }) => p.pid), [start.result.pid]);
  assertEquals(kill.result.running, false);
  assertEquals(kill.result.signal, "SIGTERM");
  await assertEmptySoon(() => running(marker), "the killed group's processes");
});

Deno.test("exec background hands over to process; a deleted session's commands are killed", async () => {
  await using env = await startChatGateway({ inProcess: true, config: allow });
  const marker = `pyclaw-bg-${crypto.randomUUID().slice(0, 8)}`;
  env.upstream.reply(
    {
      toolCalls: [{ name: "exec", arguments: { command: longCommand(marker), background: true } }],
    },
    { text: "Started" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "Start it", sessionId: "bg" });
  const started = events.named("chat.tool_result")[0];
  assertMatch(String(started.result.command), /sleep 300/);
  assertEquals(started.result.running, true);
  await waitFor(async () => (await running(marker)).length > 0, 20_000, "child running");
  const { sessions } = await client.request(
    "sessions.list",
  );
  const path = sessions.find((s) => s.sessionId === "bg")!.path;
  await client.request("sessions.delete", { path });
  await assertEmptySoon(() => running(marker), "the killed group's processes");
});

Deno.test("process start obeys the exec policy, and stopping the gateway kills what runs", async () => {
  const marker = `pyclaw-bg-${crypto.randomUUID().slice(0, 8)}`;
  const env = await startChatGateway({
    inProcess: true,
    config: { tools: { exec: { policy: "deny", allowPatterns: ["echo ready*"] } } },
  });
  try {
    env.upstream.reply(
      { toolCalls: [{ name: "process", arguments: { action: "start", command: "touch x" } }] },
      {
        toolCalls: [{
          name: "process",
          arguments: { action: "start", command: longCommand(marker) },
        }],
      },
      { text: "ok" },
    );
    const client = await env.gw.connect();
    const events = recordEvents(client);
    await client.request("chat.send", { message: "Go" });
    const [denied, chained] = events.named("chat.tool_result");
    assertMatch(String(denied.result.reason), /tools.exec.policy is deny/);
    // `echo ready*` does not vouch for a command that chains others.
    assertEquals(chained.isError, true);
    assertMatch(String(chained.result.reason), /no allowPatterns entry matches/);
  } finally {
    await env.close();
  }
  const env2 = await startChatGateway({ inProcess: true, config: allow });
  env2.upstream.reply(
    {
      toolCalls: [{
        name: "process",
        arguments: { action: "start", command: longCommand(marker) },
      }],
    },
    { text: "ok" },
  );
  const client = await env2.gw.connect();
  await client.request("chat.send", { message: "Go" });
  await waitFor(async () => (await running(marker)).length > 0, 20_000, "child running");
  await env2.close();
  await assertEmptySoon(() => running(marker), "the killed group's processes");
});
