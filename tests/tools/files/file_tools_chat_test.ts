import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { recordEvents, startChatGateway } from "../../_helpers/chat_gateway.ts";

Deno.test("file tools in a chat: write, read, edit, apply_patch, grep, find, ls", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const patch = [
    "--- a/notes/todo.md",
    "+++ b/notes/todo.md",
    "@@ -1,3 +1,3 @@",
    " # Todo",
    "-- buy milk",
    "+- buy oat milk",
    " - call mum",
    "",
  ].join("\n");
  const call = (name: string, args: Record<string, unknown>) => ({ name, arguments: args });
  env.upstream.reply(
    {
      toolCalls: [
        call("write", { path: "notes/todo.md", content: "# Todo\n- buy milk\n- call mum\n" }),
        call("read", { path: "notes/todo.md" }),
        call("edit", { path: "notes/todo.md", old_string: "call mum", new_string: "call dad" }),
      ],
    },
    {
      toolCalls: [
        call("apply_patch", { patch: patch.replace(" - call mum", " - call dad") }),
        call("grep", { pattern: "oat|dad", include: "*.md" }),
        call("find", { pattern: "*.md" }),
        call("ls", { recursive: true }),
      ],
    },
    { text: "All done" },
  );
  const client = await env.gw.connect();
  const events = recordEvents(client);
  await client.request("chat.send", { message: "Keep my todo list" });
  const results = events.named("chat.tool_result");
  assertEquals(results.map((r) => r.tool), [
    "write",
    "read",
    "edit",
    "apply_patch",
    "grep",
    "find",
    "ls",
  ]);
  for (const result of results) assertEquals(result.isError, false, JSON.stringify(result));
  const file = join(env.gw.paths.workspaceDir, "notes", "todo.md");
  assertEquals(await Deno.readTextFile(file), "# Todo\n- buy oat milk\n- call dad\n");
  // What the model read back: numbered lines, the grep hits, the listing.
  const toolMessages = env.upstream.requests[1].body.messages.filter(
    (m: { role: string }) => m.role === "tool",
  );
  assertEquals(toolMessages[1].content, "     1\t# Todo\n     2\t- buy milk\n     3\t- call mum");
  assertEquals(results[4].result.matches, 2);
  const second = env.upstream.requests[2].body.messages.filter(
    (m: { role: string }) => m.role === "tool",
  );
  assertEquals(second.at(-4).content, "Applied the patch: patched notes/todo.md");
  assertEquals(second.at(-3).content, "notes/todo.md:2:- buy oat milk\nnotes/todo.md:3:- call dad");
  assertEquals(second.at(-2).content, "notes/todo.md");
  assertMatch(second.at(-1).content, /^notes\/\nnotes\/todo\.md {2}\(\d+ B\)$/);
});

Deno.test("file tools in a chat refuse paths that leave the workspace", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "pyclaw-outside-" }));
  try {
    await Deno.writeTextFile(join(outside, "secret.txt"), "secret\n");
    const ws = env.gw.paths.workspaceDir;
    await Deno.mkdir(ws, { recursive: true });
    await Deno.symlink(join(outside, "secret.txt"), join(ws, "link.txt"));
    await Deno.symlink(outside, join(ws, "linkdir"));
    const escapes = [
      { name: "read", arguments: { path: "../../" + outside + "/secret.txt" } },
      { name: "read", arguments: { path: join(outside, "secret.txt") } },
      { name: "read", arguments: { path: "link.txt" } },
      { name: "write", arguments: { path: "linkdir/new.txt", content: "x" } },
      { name: "write", arguments: { path: "link.txt", content: "overwritten" } },
      { name: "edit", arguments: { path: "link.txt", old_string: "secret", new_string: "x" } },
      { name: "ls", arguments: { path: "linkdir" } },
      { name: "grep", arguments: { pattern: "secret", path: "../" } },
      { name: "find", arguments: { pattern: "*", path: outside } },
    ];
    env.upstream.reply({ toolCalls: escapes }, { text: "No luck" });
    const client = await env.gw.connect();
    const events = recordEvents(client);
    await client.request("chat.send", { message: "Look around" });
    const results = events.named("chat.tool_result");
    assertEquals(results.length, escapes.length);
    for (const result of results) {
      assertEquals(result.isError, true, JSON.stringify(result));
      assertMatch(String(result.result), /Path is outside the workspace/);
    }
    assertEquals(await Deno.readTextFile(join(outside, "secret.txt")), "secret\n");
    assertEquals(await Deno.stat(join(outside, "new.txt")).catch(() => null), null);
    // grep of the workspace itself skips the link that points out.
    env.upstream.reply({ toolCalls: [{ name: "grep", arguments: { pattern: "secret" } }] }, {
      text: "ok",
    });
    await client.request("chat.send", { message: "Search" });
    const grep = events.named("chat.tool_result").at(-1);
    assert(!grep.isError);
    assertEquals(grep.result.matches, 0);
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});
