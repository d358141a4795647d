import { join } from "node:path";
import { z } from "zod";
import {
  assert,
  assertEmptySoon,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";
import { ManualClock } from "../../_helpers/manual_clock.ts";
import { buildDocx, buildPdf, buildPptx, buildXlsx } from "../../_helpers/documents.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";
import { HAS_XVFB, startXvfb } from "../../_helpers/xvfb.ts";
import { GatewayError } from "../../../core/errors.ts";
import { defineTool } from "../../../tools/tool.ts";
import { unwrapExternal } from "../../_helpers/external.ts";

const BUILTINS = [
  "read_pdf",
  "read_docx",
  "read_xlsx",
  "read_pptx",
  "send_file",
  "desktop_screenshot",
  "exec",
];

Deno.test("tools.list lists the built-in tools and those of dynamic sources", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const before = await client.request("tools.list");
  const names = before.map((tool) => tool.name);
  // Other tool families (the browser) may register too; the built-ins are always there.
  for (const name of BUILTINS) assert(names.includes(name), name);
  for (const tool of before) assert(tool.description.length > 20, tool.name);
  assertEquals(Object.keys(before[0]).sort(), ["allowed", "description", "group", "name"]);
  // An MCP server's tools arrive as a source; tools.list shows them after the built-ins.
  const remove = gw.gateway.services.tools.addSource("mcp:demo", () => [
    defineTool({
      name: "mcp:demo:echo",
      description: "Echo from a demo server",
      parameters: z.object({}),
      run: () => Promise.resolve("echo"),
    }),
  ]);
  const after = await client.request("tools.list");
  assertEquals(after.map((tool) => tool.name), [...names, "mcp:demo:echo"]);
  remove();
  assertEquals((await client.request("tools.list")).length, names.length);
});

Deno.test("tools.exec_approve with an unknown requestId is NOT_FOUND, bad params INVALID_PARAMS", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const unknown = await assertRejects(
    () => client.request("tools.exec_approve", { requestId: "nope", approved: true }),
    GatewayError,
  );
  assertEquals(unknown.code, "NOT_FOUND");
  assertMatch(unknown.message, /Approval request not found: nope/);
  const bad = await assertRejects(
    () => client.request("tools.exec_approve", { requestId: "x", approved: "yes" }),
    GatewayError,
  );
  assertEquals(bad.code, "INVALID_PARAMS");
});

Deno.test("exec in a chat waits for tools.exec_approve from another WebSocket client", async () => {
  await using env = await startChatGateway({ inProcess: true });
  env.upstream.reply(
    { toolCalls: [{ name: "exec", arguments: { command: "echo approved-run" }, id: "c1" }] },
    { text: "Ran it" },
    { toolCalls: [{ name: "exec", arguments: { command: "touch denied.txt" }, id: "c2" }] },
    { text: "It was denied" },
  );
  const user = await env.gw.connect({ clientName: "user" });
  const operator = await env.gw.connect({ clientName: "operator" });
  const userEvents = recordEvents(user);
  const operatorEvents = recordEvents(operator);

  const first = user.request("chat.send", {
    message: "Run echo",
    sessionId: "ops",
  });
  const request = await operatorEvents.next("exec.approval.requested");
  assertEquals(request.command, "echo approved-run");
  assertEquals(request.cwd, env.gw.paths.workspaceDir);
  assertEquals(request.sessionId, "ops");
  assertEquals(request.agentId, "main");
  assert(request.expiresAt > Date.now());
  // A client that connects later still sees what waits.
  const late = await env.gw.connect({ clientName: "late" });
  const waiting = await late.request(
    "tools.exec_pending",
  );
  assertEquals(waiting.count, 1);
  assertEquals(waiting.requests[0].requestId, request.requestId);
  assertEquals(waiting.requests[0].command, "echo approved-run");
  assertEquals(
    await operator.request("tools.exec_approve", { requestId: request.requestId, approved: true }),
    { ok: true },
  );
  assertEquals((await first).completed, true);
  const resolved = await operatorEvents.next("exec.approval.resolved");
  assertEquals([resolved.requestId, resolved.approved], [request.requestId, true]);
  const result = userEvents.named("chat.tool_result")[0];
  assertEquals(result.tool, "exec");
  assertEquals(result.result.stdout, "approved-run\n");
  assertEquals(result.result.exitCode, 0);
  // An answered request is gone.
  assertEquals((await late.request("tools.exec_pending")).count, 0);
  const again = await assertRejects(
    () => operator.request("tools.exec_approve", { requestId: request.requestId, approved: true }),
    GatewayError,
  );
  assertEquals(again.code, "NOT_FOUND");

  const second = user.request("chat.send", { message: "Touch", sessionId: "ops" });
  const next = await operatorEvents.next(
    "exec.approval.requested",
    (payload) => payload.requestId !== request.requestId,
  );
  await operator.request("tools.exec_approve", { requestId: next.requestId, approved: false });
  await second;
  // The model sees the denial as the tool's result.
  const toolMessage = env.upstream.requests[3].body.messages.at(-1);
  assertEquals(toolMessage.role, "tool");
  assertMatch(toolMessage.content, /Command not run: the user denied it/);
  assertEquals(
    await Deno.stat(join(env.gw.paths.workspaceDir, "denied.txt")).catch(() => null),
    null,
  );
});

Deno.test("exec in a chat is denied when nobody answers in time", async () => {
  const clock = new ManualClock();
  await using env = await startChatGateway({
    inProcess: true,
    clock,
    config: { tools: { exec: { approvalTimeoutMs: 300 } } },
  });
  env.upstream.reply(
    { toolCalls: [{ name: "exec", arguments: { command: "echo never" }, id: "c1" }] },
    { text: "Nobody answered" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  const sent = client.request("chat.send", { message: "Run", sessionId: "late" });
  const request = await events.next("exec.approval.requested");
  assertEquals(request.expiresAt, clock.now() + 300);
  await clock.advance(300);
  await sent;
  const result = events.named("chat.tool_result")[0];
  assertMatch(String(result.result.reason), /nobody approved it in time/);
  assertEquals(events.named("exec.approval.resolved")[0].outcome, "timeout");
  const late = await assertRejects(
    () => client.request("tools.exec_approve", { requestId: request.requestId, approved: true }),
    GatewayError,
  );
  assertEquals(late.code, "NOT_FOUND");
});

Deno.test("send_file in a chat emits chat.file with a download URL that needs its token", async () => {
  await using env = await startChatGateway({
    config: { tools: { sendFile: { inlineMaxBytes: 64 } } },
  });
  const pdf = buildPdf(["Quarterly numbers"]);
  await Deno.mkdir(env.gw.paths.workspaceDir, { recursive: true });
  await Deno.writeFile(join(env.gw.paths.workspaceDir, "q3.pdf"), pdf);
  env.upstream.reply(
    { toolCalls: [{ name: "send_file", arguments: { path: "q3.pdf" }, id: "f1" }] },
    { text: "Sent" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "Send the report", sessionId: "files" });
  const file = await events.next("chat.file");
  assertEquals([file.sessionId, file.name, file.mimeType, file.size], [
    "files",
    "q3.pdf",
    "application/pdf",
    pdf.length,
  ]);
  assertEquals(file.data, undefined);
  const url = new URL(file.url, env.gw.baseUrl);
  const ok = await fetch(url);
  assertEquals(ok.status, 200);
  assertEquals(ok.headers.get("content-type"), "application/pdf");
  assertMatch(String(ok.headers.get("content-disposition")), /attachment; filename="q3.pdf"/);
  assertEquals(new Uint8Array(await ok.arrayBuffer()), pdf);

  const noToken = await fetch(new URL(url.pathname, env.gw.baseUrl));
  assertEquals(noToken.status, 401);
  await noToken.body?.cancel();
  const wrong = await fetch(new URL(`${url.pathname}?token=${"A".repeat(32)}`, env.gw.baseUrl));
  assertEquals(wrong.status, 404);
  await wrong.body?.cancel();
  const unknown = await fetch(new URL(`/files/${"b".repeat(22)}?token=x`, env.gw.baseUrl));
  assertEquals(unknown.status, 404);
  await unknown.body?.cancel();
});

Deno.test("read_xlsx in a chat: the scripted call and its result stream as chat events", async () => {
  await using env = await startChatGateway({ inProcess: true });
  await Deno.mkdir(env.gw.paths.workspaceDir, { recursive: true });
  await Deno.writeFile(join(env.gw.paths.workspaceDir, "book.xlsx"), await buildXlsx());
  env.upstream.reply(
    {
      toolCalls: [{
        name: "read_xlsx",
        arguments: { path: "book.xlsx", sheet: "Sales", range: "A4:D4", format: "csv" },
        id: "x1",
      }],
    },
    { text: "The sum is 26" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "What is the sum?", sessionId: "xl" });
  const call = events.named("chat.tool_call")[0];
  assertEquals([call.sessionId, call.tool, call.args.path], ["xl", "read_xlsx", "book.xlsx"]);
  const result = events.named("chat.tool_result")[0];
  assertEquals(result.tool, "read_xlsx");
  assertEquals(result.result.sheets[0].name, "Sales");
  const toolMessage = env.upstream.requests[1].body.messages.at(-1);
  assertEquals(unwrapExternal(toolMessage.content, "read_xlsx"), "## Sheet: Sales\n\nSum,,,26");
  const offered = env.upstream.requests[0].body.tools.map((t: { function: { name: string } }) =>
    t.function.name
  );
  for (const name of BUILTINS) assert(offered.includes(name), name);
});

Deno.test("read_pdf, read_docx and read_pptx in one chat round give the model each document's text", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const dir = env.gw.paths.workspaceDir;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeFile(join(dir, "a.pdf"), buildPdf(["PDF words"]));
  await Deno.writeFile(join(dir, "b.docx"), buildDocx([{ text: "DOCX words", heading: 2 }]));
  await Deno.writeFile(
    join(dir, "c.pptx"),
    buildPptx([{ texts: ["PPTX words"], notes: "Say hi" }]),
  );
  env.upstream.reply(
    {
      toolCalls: [
        { name: "read_pdf", arguments: { path: "a.pdf" }, id: "p" },
        { name: "read_docx", arguments: { path: "b.docx" }, id: "d" },
        { name: "read_pptx", arguments: { path: "c.pptx" }, id: "s" },
      ],
    },
    { text: "Read all three" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "Read them", sessionId: "docs" });
  assertEquals(events.named("chat.tool_result").map((r) => r.tool), [
    "read_pdf",
    "read_docx",
    "read_pptx",
  ]);
  const toolMessages = env.upstream.requests[1].body.messages.filter(
    (m: { role: string }) => m.role === "tool",
  );
  assertEquals(
    toolMessages.map((m: { tool_call_id: string; content: string }) => [
      m.tool_call_id,
      unwrapExternal(m.content),
    ]),
    [
      ["p", "--- Page 1 ---\nPDF words"],
      ["d", "## DOCX words"],
      ["s", "--- Slide 1 ---\nPPTX words\n\nNotes:\nSay hi"],
    ],
  );
  // Clients see what the model read, not only the tools' metadata (path, page count).
  const results = events.named("chat.tool_result");
  assertEquals(
    results.map((r) => unwrapExternal(r.output)),
    toolMessages.map((m: { content: string }) => unwrapExternal(m.content)),
  );
  assertEquals(results[0].result.pageCount, 1);
});

Deno.test({
  name: "desktop_screenshot in a chat hands the model a PNG of the Xvfb screen",
  ignore: !HAS_XVFB || Deno.build.os !== "linux",
  async fn() {
    await using xvfb = await startXvfb(320, 200);
    await using env = await startChatGateway({
      inProcess: true,
      env: { DISPLAY: xvfb.display, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
    });
    env.upstream.reply(
      { toolCalls: [{ name: "desktop_screenshot", arguments: {}, id: "s1" }] },
      { text: "A black screen" },
    );
    const client = await env.gw.connect();
    const events = recordEvents(client);
    await client.request("chat.send", { message: "What is on screen?", sessionId: "shot" });
    const result = events.named("chat.tool_result")[0];
    assertEquals([result.result.width, result.result.height], [320, 200]);
    const sent = JSON.stringify(env.upstream.requests[1].body.messages);
    assertMatch(sent, /data:image\/png;base64,iVBORw0KGgo/);
  },
});

Deno.test("stopping the gateway kills a running exec's process group and denies waiting approvals", async () => {
  const marker = `pyclaw-stop-${crypto.randomUUID().slice(0, 8)}`;
  const env = await startChatGateway({
    inProcess: true,
    config: {
      tools: { exec: { policy: "ask", allowPatterns: [`sh -c 'sleep * # ${marker}'`] } },
    },
  });
  let closed = false;
  try {
    env.upstream.reply(
      {
        toolCalls: [{
          name: "exec",
          arguments: {
            command: `sh -c 'sleep 60 # ${marker}' & sh -c 'sleep 61 # ${marker}'`,
          },
          id: "long",
        }],
      },
      { toolCalls: [{ name: "exec", arguments: { command: "echo waits" }, id: "w" }] },
    );
    const runner = await env.gw.connect();
    const waiter = await env.gw.connect();
    const events = recordEvents(waiter);
    const running = runner.request("chat.send", { message: "Long", sessionId: "a" }).catch((e) =>
      e
    );
    const alive = () => processesWith(marker);
    await waitFor(async () => (await alive()).length >= 2, 20_000, "the command's processes");
    const waiting = waiter.request("chat.send", { message: "Wait", sessionId: "b" }).catch((e) =>
      e
    );
    await events.next("exec.approval.requested");
    await env.close();
    closed = true;
    await Promise.all([running, waiting]);
    await assertEmptySoon(alive, "the command's processes");
    // Clients are gone by then; the request itself is settled, not left hanging.
    assertEquals(env.gw.gateway.services.approvals!.pending(), []);
  } finally {
    if (!closed) await env.close();
  }
});

async function processesWith(marker: string): Promise<string[]> {
  const ps = await new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).output();
  return new TextDecoder().decode(ps.stdout).split("\n").filter((line) =>
    line.includes(marker) && !line.startsWith("ps ")
  );
}
