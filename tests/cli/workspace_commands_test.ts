import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { runPyclaw } from "../_helpers/cli.ts";
import { startTestGateway } from "../_helpers/gateway.ts";

const CONFIG = {
  // Port 9 (discard): nothing answers there, so commands work on the local files.
  gateway: { port: 9 },
  agents: { list: [{ id: "writer", name: "Writer", model: "openai/gpt-4o" }] },
  bindings: [{ pattern: "telegram:*", agentId: "writer" }],
};

async function seedState(dir: string): Promise<void> {
  const sessions = join(dir, "agents", "main", "sessions");
  await Deno.mkdir(sessions, { recursive: true });
  const line = (role: string, content: string) =>
    JSON.stringify({ role, content, time: "2026-01-01T00:00:00.000Z" });
  await Deno.writeTextFile(
    join(sessions, "chat.jsonl"),
    [line("user", "What is 2+2?"), line("assistant", "It is 4.")].join("\n") + "\n",
  );
}

Deno.test("agents, sessions, channels and cron work on the local state without a gateway", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-local-" });
  try {
    await Deno.writeTextFile(join(dir, "pyclaw.json"), JSON.stringify(CONFIG));
    await seedState(dir);
    const run = (...args: string[]) => runPyclaw(args, { stateDir: dir });

    const agents = JSON.parse((await run("agents", "list", "--json")).stdout);
    assertEquals(agents.map((a: { id: string }) => a.id), ["main", "writer"]);
    const bindings = JSON.parse((await run("agents", "list", "--bindings", "--json")).stdout);
    assertEquals(bindings.bindings, [{ pattern: "telegram:*", agentId: "writer" }]);

    const sessions = JSON.parse((await run("sessions", "list", "--json")).stdout);
    assertEquals(sessions.count, 1);
    assertEquals(sessions.sessions[0].sessionId, "chat");
    const shown = await run("sessions", "show", "chat");
    assertMatch(shown.stdout, /user .*\nWhat is 2\+2\?\n\nassistant .*\nIt is 4\./);
    const json = JSON.parse(
      (await run("sessions", "show", "main/chat", "--json", "--limit", "1")).stdout,
    );
    assertEquals(json.messages.map((m: { content: string }) => m.content), ["It is 4."]);
    const escape = await run("sessions", "show", "../../../etc/passwd.jsonl");
    assertEquals(escape.code, 1);
    assertMatch(escape.stderr, /INVALID_PARAMS: Not a session: /);
    const missing = await run("sessions", "delete", "nope");
    assertEquals(missing.code, 1);
    assertMatch(missing.stderr, /NOT_FOUND: Session not found/);
    assertEquals((await run("sessions", "delete", "chat")).code, 0);
    assertEquals(JSON.parse((await run("sessions", "list", "--json")).stdout).count, 0);

    const channels = JSON.parse((await run("channels", "list", "--json")).stdout);
    assertEquals(channels, [{ id: "webchat", type: "webchat", status: "stopped" }]);
    const unknownChannel = await run("channels", "status", "irc");
    assertEquals(unknownChannel.code, 1);
    assertMatch(unknownChannel.stderr, /NOT_FOUND: Channel not found: irc/);

    const added = await run("cron", "add", "0 8 * * *", "Good", "morning", "--tz", "UTC", "--json");
    assertEquals(added.code, 0, added.stderr);
    const job = JSON.parse(added.stdout);
    assertEquals(job.via, "local");
    assertMatch(job.nextRunAt, /T08:00:00/);
    const jobs = JSON.parse((await run("cron", "list", "--json")).stdout);
    assertEquals(jobs.map((j: { id: string; message: string }) => [j.id, j.message]), [[
      job.id,
      "Good morning",
    ]]);
    const badCron = await run("cron", "add", "not a schedule", "x");
    assertEquals(badCron.code, 1);
    assertMatch(badCron.stderr, /INVALID_PARAMS/);
    const badAgent = await run("cron", "add", "* * * * *", "x", "--agent", "ghost");
    assertMatch(badAgent.stderr, /NOT_FOUND: Agent not found: ghost/);
    assertEquals((await run("cron", "remove", job.id)).code, 0);
    assertEquals(JSON.parse((await run("cron", "list", "--json")).stdout), []);
    // Nothing ran: the local cron service never schedules.
    const history = await Deno.stat(join(dir, "cron", "history.jsonl")).then(
      () => true,
      () => false,
    );
    assertEquals(history, false);
    assertMatch((await run("cron", "remove", job.id)).stderr, /NOT_FOUND: Cron job not found/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("agents, sessions, channels and cron go through a running gateway", async () => {
  await using gw = await startTestGateway({ config: CONFIG });
  await Deno.writeTextFile(
    gw.configPath,
    JSON.stringify({ ...CONFIG, gateway: { port: gw.gateway.port } }),
  );
  await seedState(gw.stateDir);
  const env = { PYCLAW_AUTH_TOKEN: gw.token! };
  const run = (...args: string[]) => runPyclaw(args, { stateDir: gw.stateDir, env });

  const added = JSON.parse((await run("cron", "add", "*/5 * * * *", "ping", "--json")).stdout);
  assertEquals(added.via, "gateway");
  // The gateway's own cron service has the job (not just the file).
  assertEquals((await gw.gateway.services.cron.list()).map((j) => j.id), [added.id]);
  assertEquals((await run("cron", "remove", added.id)).code, 0);
  assertEquals((await gw.gateway.services.cron.list()).length, 0);

  const channels = JSON.parse((await run("channels", "list", "--json")).stdout);
  assert(channels.some((c: { id: string }) => c.id === "webchat"));
  const status = JSON.parse((await run("channels", "status", "webchat", "--json")).stdout);
  assertEquals(status.channel_id, "webchat");

  const agents = JSON.parse((await run("agents", "list", "--json")).stdout);
  assertEquals(agents[1], { id: "writer", name: "Writer", model: "openai/gpt-4o" });
  const deleted = await run("sessions", "delete", "chat", "--json");
  assertEquals(JSON.parse(deleted.stdout).deleted, true);
  assertEquals((await gw.gateway.services.sessions.list()).length, 0);

  const wrong = await runPyclaw(["sessions", "list"], {
    stateDir: gw.stateDir,
    env: { PYCLAW_AUTH_TOKEN: "wrong-token-for-this-gateway" },
  });
  assertEquals(wrong.code, 1);
  assertMatch(wrong.stderr, /AUTH_REQUIRED/);
});

Deno.test("pyclaw logs filters by level and prints JSON lines", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-logs-" });
  try {
    await Deno.mkdir(join(dir, "logs"));
    const record = (level: string, msg: string) =>
      JSON.stringify({ time: "2026-01-01T00:00:00.000Z", level, msg, component: "test" });
    await Deno.writeTextFile(
      join(dir, "logs", "pyclaw.log"),
      [record("info", "started"), record("warn", "slow"), record("error", "broke")].join("\n") +
        "\n",
    );
    const all = await runPyclaw(["logs"], { stateDir: dir });
    assertEquals(all.stdout.trim().split("\n").length, 3);
    assertMatch(all.stdout, /^2026-01-01T00:00:00.000Z INFO {2}started component=test$/m);
    const warn = await runPyclaw(["logs", "--level", "warn", "--json"], { stateDir: dir });
    assertEquals(warn.stdout.trim().split("\n").map((l) => JSON.parse(l).msg), ["slow", "broke"]);
    const last = await runPyclaw(["logs", "-n", "1"], { stateDir: dir });
    assertMatch(last.stdout, /ERROR broke/);
    const none = await runPyclaw(["logs", "-n", "0"], { stateDir: dir });
    assertEquals([none.code, none.stdout, none.stderr], [0, "", ""]);
    const badLevel = await runPyclaw(["logs", "--level", "loud"], { stateDir: dir });
    assertEquals(badLevel.code, 2);
    assertMatch(badLevel.stderr, /Allowed choices are debug, info, warn, error/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw logs says what it cannot read, with exit 1 and no stack trace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-logs-" });
  try {
    await Deno.mkdir(join(dir, "logs", "pyclaw.log"), { recursive: true });
    const isDir = await runPyclaw(["logs"], { stateDir: dir });
    assertEquals(isDir.code, 1);
    assertMatch(isDir.stderr, /^Error: Cannot read the log file .*pyclaw\.log: Is a directory/);
    assertEquals(isDir.stderr.split("\n").filter(Boolean).length, 1, isDir.stderr);
    const file = join(dir, "state-file");
    await Deno.writeTextFile(file, "");
    // A state dir that is a file is named as such before the log is looked for.
    const notDir = await runPyclaw(["logs"], { stateDir: file });
    assertEquals(notDir.code, 1);
    assertMatch(notDir.stderr, /^Error: The state dir .*state-file \(PYCLAW_STATE_DIR\) is not a/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw commands report a refused file operation as one Error line with exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-fs-" });
  try {
    await Deno.writeTextFile(join(dir, "backups"), "");
    const notDir = await runPyclaw(["backup", "list"], { stateDir: dir });
    assertEquals(notDir.code, 1);
    assertMatch(notDir.stderr, /^Error: Not a directory .*backups'\n$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
