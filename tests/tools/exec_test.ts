import { join } from "node:path";
import { assert, assertEmptySoon, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { ManualClock } from "../_helpers/manual_clock.ts";
import { toolContext } from "../_helpers/tool_context.ts";
import { execTool } from "../../tools/exec.ts";
import { matchesAllowPattern } from "../../tools/_command_allowlist.ts";
import { APPROVAL_REQUESTED, ExecApprovalBroker } from "../../tools/exec_approvals.ts";

const allow = { tools: { exec: { policy: "allow" } } };

Deno.test("exec runs a command in the workspace and reports exit code and output", async () => {
  await using t = await toolContext({ config: allow });
  await Deno.mkdir(join(t.dir, "sub"));
  const result = await t.call(execTool, {
    command: "pwd; echo out; echo err >&2; exit 3",
    cwd: "sub",
  });
  assertMatch(result.content, /\[exit code 3\]/);
  const data = result.data as { exitCode: number; stdout: string; stderr: string };
  assertEquals(data.exitCode, 3);
  assertEquals(data.stdout, `${join(t.dir, "sub")}\nout\n`);
  assertEquals(data.stderr, "err\n");
  assertEquals(result.isError, true);
  const ok = await t.call(execTool, { command: "printf hello" });
  assertEquals(ok.isError, false);
  assertEquals((ok.data as { stdout: string }).stdout, "hello");
});

Deno.test("exec refuses a working folder outside the workspace", async () => {
  await using t = await toolContext({ config: allow });
  let error: Error | undefined;
  await t.call(execTool, { command: "ls", cwd: "../" }).catch((e) => error = e);
  assertMatch(String(error?.message), /Path is outside the workspace/);
});

Deno.test("exec caps output and keeps reading past the cap", async () => {
  await using t = await toolContext({
    config: { tools: { exec: { policy: "allow", maxOutputBytes: 1000 } } },
  });
  // 200 KB through a pipe would block the writer if we stopped reading at the cap.
  const result = await t.call(execTool, {
    command: "head -c 200000 /dev/zero | tr '\\0' x; echo done >&2",
  });
  const data = result.data as {
    stdout: string;
    stderr: string;
    truncated: boolean;
    exitCode: number;
  };
  assertEquals(data.exitCode, 0);
  assertEquals(data.truncated, true);
  assertEquals(data.stdout.length + data.stderr.length, 1000);
  assertMatch(result.content, /\[Output truncated at 1000 bytes\]/);
});

Deno.test("exec kills the whole process tree on timeout", async () => {
  await using t = await toolContext({ config: allow });
  const marker = `pyclaw-tree-${crypto.randomUUID().slice(0, 8)}`;
  const started = Date.now();
  const result = await t.call(execTool, {
    command: `sh -c 'sleep 30; echo ${marker}' & sleep 30 & echo started; wait`,
    timeoutMs: 500,
  });
  // Well before the 30 s its sleeps would take (5 s was a thin margin on a loaded CI machine).
  assert(Date.now() - started < 20_000, "returned without waiting for the sleeps");
  const data = result.data as { timedOut: boolean; stdout: string };
  assertEquals(data.timedOut, true);
  assertEquals(data.stdout, "started\n");
  assertMatch(result.content, /timed out after \d+ ms; its process group was killed/);
  await assertEmptySoon(async () => {
    const ps = await new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).output();
    return new TextDecoder().decode(ps.stdout).split("\n").filter((l) => l.includes(marker));
  }, "the killed group's processes");
});

Deno.test("exec stops when the run is aborted", async () => {
  const controller = new AbortController();
  await using t = await toolContext({ config: allow, signal: controller.signal });
  const started = Date.now();
  let error: unknown;
  const running = t.call(execTool, { command: "touch running; sleep 30" }).catch((e) => error = e);
  // Abort once the command is really running, not at a guessed moment.
  await waitFor(() => Deno.stat(join(t.dir, "running")).then(() => true, () => false));
  controller.abort();
  await running;
  assert(Date.now() - started < 20_000, "returned without waiting for the 30 s sleep");
  assertEquals((error as Error)?.name, "AbortError");
});

Deno.test("exec with policy deny refuses, except allowPatterns", async () => {
  await using t = await toolContext({
    config: { tools: { exec: { policy: "deny", allowPatterns: ["echo *"] } } },
  });
  const refused = await t.call(execTool, { command: "touch nope" });
  assertEquals(refused.isError, true);
  assertMatch(refused.content, /Command not run: tools.exec.policy is deny/);
  assertEquals(await Deno.stat(join(t.dir, "nope")).catch(() => null), null);
  const allowed = await t.call(execTool, { command: "echo fine" });
  assertEquals((allowed.data as { stdout: string }).stdout, "fine\n");
  const chained = await t.call(execTool, { command: "echo x; touch nope" });
  assertEquals(chained.isError, true);
  assertEquals(await Deno.stat(join(t.dir, "nope")).catch(() => null), null);
});

Deno.test("exec with policy ask waits for the broker: approved, denied, timeout", async () => {
  const events: { event: string; payload: Record<string, unknown> }[] = [];
  const clock = new ManualClock();
  const broker = new ExecApprovalBroker(
    (event, payload) => events.push({ event, payload: payload as Record<string, unknown> }),
    clock,
  );
  await using t = await toolContext({
    config: { tools: { exec: { approvalTimeoutMs: 300 } } },
    services: { approvals: broker },
  });
  const approved = t.call(execTool, { command: "echo approved" });
  const request = await waitFor(() => broker.pending()[0], 20_000, "approval request");
  assertEquals(request.command, "echo approved");
  assertEquals(request.cwd, t.dir);
  assertEquals(request.sessionId, "test-session");
  assertEquals(events[0].event, APPROVAL_REQUESTED);
  assert(broker.resolve(request.requestId, true));
  assertEquals(((await approved).data as { stdout: string }).stdout, "approved\n");
  assertEquals(broker.resolve(request.requestId, true), false);

  const denied = t.call(execTool, { command: "touch denied" });
  const second = await waitFor(() => broker.pending()[0], 20_000, "second request");
  broker.resolve(second.requestId, false);
  const deniedResult = await denied;
  assertEquals(deniedResult.isError, true);
  assertMatch(deniedResult.content, /Command not run: the user denied it/);
  assertEquals(await Deno.stat(join(t.dir, "denied")).catch(() => null), null);

  const late = t.call(execTool, { command: "touch late" });
  const third = await waitFor(() => broker.pending()[0], 20_000, "third request");
  assertEquals(third.expiresAt, clock.now() + 300);
  await clock.advance(300);
  const timedOut = await late;
  assertMatch(timedOut.content, /nobody approved it in time/);
  assertEquals(broker.pending(), []);
});

Deno.test("exec allow patterns match whole commands and never vouch for chained ones", () => {
  assert(matchesAllowPattern("git status", ["git status*"]));
  assert(matchesAllowPattern("git status --short", ["git status*"]));
  assert(!matchesAllowPattern("git statusx; rm -rf ~", ["git status*"]));
  assert(!matchesAllowPattern("ls $(rm x)", ["ls *"]));
  assert(!matchesAllowPattern("ls | sh", ["ls *"]));
  assert(matchesAllowPattern("ls | wc -l", ["ls | wc -l"]));
  assert(!matchesAllowPattern("lsof", ["ls"]));
  assert(matchesAllowPattern("cat a.txt", ["cat ?.txt"]));
});
