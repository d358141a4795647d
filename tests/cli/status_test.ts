import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { PYCLAW, runPyclaw } from "../_helpers/cli.ts";
import { startFakeOpenAI } from "../_helpers/fake_openai.ts";
import { startTestGateway } from "../_helpers/gateway.ts";
import { claimStateDir } from "../../core/state_owner.ts";

function config(url: string, port: number) {
  return {
    gateway: { port },
    models: { providers: { fake: { baseUrl: url, apiKey: "sk-test" } } },
    agents: { defaults: { model: "fake/gpt-test" } },
    tools: { mcpServers: { off: { command: "true", enabled: false } } },
  };
}

Deno.test("pyclaw status reports from the config without a gateway, and probes with --deep", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-status-" });
  try {
    await Deno.writeTextFile(join(dir, "pyclaw.json"), JSON.stringify(config(upstream.url, 9)));
    const run = await runPyclaw(["status", "--deep", "--json"], {
      stateDir: dir,
      env: { PYCLAW_SERVICE_DIR: join(dir, "units") },
    });
    assertEquals(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout);
    assertEquals(status.gateway.running, false);
    assertEquals(status.service.installed, false);
    assertEquals(status.models.default, "fake/gpt-test");
    assertEquals(status.models.providers, ["fake"]);
    assertEquals(status.models.probe.available, true);
    assertEquals(status.mcp, [{ name: "off", state: "disabled" }]);
    assertEquals(status.channels, [{ id: "webchat", status: "stopped" }]);
    const text = await runPyclaw(["status"], { stateDir: dir });
    assertMatch(text.stdout, /^Gateway {3}not running at ws:\/\/127\.0\.0\.1:9$/m);
    assertMatch(text.stdout, /^Model {5}fake\/gpt-test$/m);

    await Deno.writeTextFile(join(dir, "pyclaw.json"), "{ gateway: { port: 'x' } }");
    const invalid = await runPyclaw(["status"], { stateDir: dir });
    assertEquals(invalid.code, 1);
    assertMatch(invalid.stderr, /gateway\.port/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw status shows the running gateway's live view", async () => {
  await using upstream = await startFakeOpenAI({
    models: ["gpt-test", "gpt-two"],
    apiKey: "sk-test",
  });
  await using gw = await startTestGateway({ config: config(upstream.url, 9) });
  await Deno.writeTextFile(gw.configPath, JSON.stringify(config(upstream.url, gw.gateway.port)));
  const run = await runPyclaw(["status", "--deep", "--json"], {
    stateDir: gw.stateDir,
    env: { PYCLAW_AUTH_TOKEN: gw.token! },
  });
  assertEquals(run.code, 0, run.stderr);
  const status = JSON.parse(run.stdout);
  assertEquals(status.gateway.running, true);
  assert(status.models.available >= 2);
  assertEquals(status.models.probe.available, true);
  assert(status.channels.some((c: { id: string }) => c.id === "webchat"));
});

Deno.test("pyclaw logs --follow prints lines as they are written and stops on Ctrl-C with 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-logs-" });
  const file = join(dir, "logs", "pyclaw.log");
  await Deno.mkdir(join(dir, "logs"));
  const record = (level: string, msg: string) =>
    JSON.stringify({ time: new Date().toISOString(), level, msg }) + "\n";
  await Deno.writeTextFile(file, record("info", "before") + record("warn", "tail"));
  const child = new Deno.Command(PYCLAW, {
    args: ["logs", "--follow", "--level", "warn", "--json"],
    env: { PYCLAW_STATE_DIR: dir, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  const nextLine = async () => {
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    const [line, ...rest] = out.split("\n");
    out = rest.join("\n");
    return JSON.parse(line).msg;
  };
  try {
    // The tail comes first (the filter hides "before"); after it, the command is following.
    assertEquals(await nextLine(), "tail");
    await Deno.writeTextFile(file, record("info", "quiet") + record("error", "loud"), {
      append: true,
    });
    assertEquals(await nextLine(), "loud");
    // Ctrl-C is how following ends: not a failure, so exit 0 (README, CLI table).
    child.kill("SIGINT");
    assertEquals((await child.status).code, 0);
  } finally {
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    try {
      child.kill();
    } catch { /* exited */ }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw status and channels list --local say the gateway was not asked, not that none runs", async () => {
  await using gw = await startTestGateway({ config: config("http://127.0.0.1:9/v1", 9) });
  // What `gateway run` records for the state dir it owns.
  const claim = await claimStateDir(gw.stateDir);
  await claim.record({
    url: gw.url,
    port: gw.gateway.port,
    bind: "127.0.0.1",
    configPath: gw.configPath,
  });
  try {
    const json = await runPyclaw(["status", "--local", "--json"], { stateDir: gw.stateDir });
    assertEquals(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout);
    assertEquals(
      [status.gateway.asked, status.gateway.running, status.gateway.pid, status.gateway.url],
      [false, true, Deno.pid, gw.url],
    );
    const text = await runPyclaw(["status", "--local"], { stateDir: gw.stateDir });
    assertMatch(
      text.stdout,
      new RegExp(
        `^Gateway {3}not asked \\(--local\\); this state dir's gateway runs \\(pid ${Deno.pid}, `,
        "m",
      ),
    );
    const channels = await runPyclaw(["channels", "list", "--local"], { stateDir: gw.stateDir });
    assertEquals(channels.code, 0, channels.stderr);
    assertMatch(channels.stdout, /the gateway was not asked \(--local\)/);
    assert(!channels.stdout.includes("no gateway running"));
  } finally {
    claim.release();
  }
});
