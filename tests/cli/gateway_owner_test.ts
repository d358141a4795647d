/**
 * @module One gateway per state dir, found wherever it listens: `gateway run` takes the state
 * dir's lock and records its URL, a second one is refused, and the CLI (`gateway call`,
 * `status`, `agent`, `config set`, `models select`) reaches it even when started with `--port`.
 */

import { join } from "node:path";
import { statePaths } from "../../core/paths.ts";
import { assert, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { PYCLAW, runPyclaw } from "../_helpers/cli.ts";
import { startFakeOpenAI } from "../_helpers/fake_openai.ts";
import { LocalModelStore } from "../../agent/models/model_store.ts";

/** A `pyclaw gateway run` child, once it printed its ready line. */
interface GatewayProcess {
  child: Deno.ChildProcess;
  url: string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

async function spawnGateway(stateDir: string, args: string[] = []): Promise<GatewayProcess> {
  const child = new Deno.Command(PYCLAW, {
    args: ["gateway", "run", "--port", "0", ...args],
    env: { PYCLAW_STATE_DIR: stateDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let errors = "";
  const drainErrors = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (errors += chunk) }),
  );
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`gateway exited before it was ready: ${errors}`);
    out += value;
  }
  const drainOut = (async () => {
    while (!(await lines.read()).done) { /* keep the pipe flowing */ }
  })();
  const url = out.match(/ready: (ws:\/\/[^,\s]+)/)?.[1];
  assert(url, `no URL in the ready line: ${out}`);
  return {
    child,
    url,
    stderr: () => errors,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      const { code } = await child.status;
      await Promise.all([drainErrors, drainOut]);
      return code;
    },
  };
}

async function tempState(config: Record<string, unknown> = {}): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-owner-" });
  await Deno.writeTextFile(
    join(dir, "pyclaw.json"),
    JSON.stringify({ logging: { consoleLevel: "silent" }, ...config }),
  );
  return dir;
}

const readJson = async (path: string) => JSON.parse(await Deno.readTextFile(path));
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("gateway run refuses a second gateway on the same state dir and keeps the first one's files", async () => {
  const dir = await tempState();
  const first = await spawnGateway(dir);
  try {
    const record = await readJson(join(dir, "gateway.json"));
    assertEquals(record.pid, first.child.pid);
    assertEquals(record.url, first.url);
    assertEquals(record.port, Number(new URL(first.url).port));

    const second = await runPyclaw(["gateway", "run", "--port", "0"], { stateDir: dir });
    assertEquals(second.code, 1);
    assertMatch(
      second.stderr,
      new RegExp(`Another gateway \\(pid ${first.child.pid}, ${first.url}\\) uses this state dir`),
    );
    // The refused start touched nothing of the running gateway's.
    assertEquals((await readJson(join(dir, "gateway.json"))).pid, first.child.pid);
    assertEquals((await Deno.readTextFile(join(dir, "gateway.pid"))).trim(), `${first.child.pid}`);
    const health = await runPyclaw(["gateway", "call", "health"], { stateDir: dir });
    assertEquals(health.code, 0, health.stderr);

    assertEquals(await first.stop(), 0);
    assertEquals(await exists(join(dir, "gateway.json")), false);
    assertEquals(await exists(join(dir, "gateway.pid")), false);
  } finally {
    await first.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gateway run takes over the state dir of a gateway that crashed", async () => {
  const dir = await tempState();
  const crashed = await spawnGateway(dir);
  crashed.child.kill("SIGKILL");
  await crashed.stop();
  // The crash left its record behind, but not its lock.
  assertEquals((await readJson(join(dir, "gateway.json"))).pid, crashed.child.pid);
  const next = await spawnGateway(dir);
  try {
    assertEquals((await readJson(join(dir, "gateway.json"))).pid, next.child.pid);
  } finally {
    assertEquals(await next.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the CLI finds a gateway started with --port; PYCLAW_GATEWAY_URL and --url override", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  // gateway.port says 9 (discard): only the gateway's own record leads to it.
  const dir = await tempState({
    gateway: { port: 9 },
    models: { providers: { fake: { baseUrl: upstream.url, apiKey: "sk-test" } } },
    agents: { defaults: { model: "fake/gpt-test" } },
  });
  const gateway = await spawnGateway(dir);
  try {
    const port = Number(new URL(gateway.url).port);
    const call = await runPyclaw(["gateway", "call", "health"], { stateDir: dir });
    assertEquals(call.code, 0, call.stderr);

    const status = await runPyclaw(["gateway", "status", "--json"], { stateDir: dir });
    assertEquals(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout);
    assertEquals(parsed.url, gateway.url);
    assertEquals(parsed.running.port, port);
    assertEquals(parsed.running.pid, gateway.child.pid);
    const text = await runPyclaw(["gateway", "status", "--no-probe"], { stateDir: dir });
    assertMatch(text.stdout, new RegExp(`Running  pid ${gateway.child.pid}, port ${port}`));

    const discover = await runPyclaw(["gateway", "discover", "--json"], { stateDir: dir });
    assertEquals(discover.code, 0, discover.stderr);
    assert(
      JSON.parse(discover.stdout).gateways.some((g: { url: string }) => g.url === gateway.url),
      discover.stdout,
    );

    const overview = await runPyclaw(["status", "--json"], { stateDir: dir });
    assertEquals(overview.code, 0, overview.stderr);
    assertEquals(JSON.parse(overview.stdout).gateway.running, true);
    assertEquals(JSON.parse(overview.stdout).gateway.url, gateway.url);

    const rotate = await runPyclaw(["token", "rotate", "--json"], { stateDir: dir });
    assertEquals(rotate.code, 0, rotate.stderr);
    assertEquals(JSON.parse(rotate.stdout).gateway, {
      running: true,
      accepted: true,
      url: gateway.url,
    });

    const agent = await runPyclaw(["agent", "--json", "hello"], { stateDir: dir });
    assertEquals(agent.code, 0, agent.stderr);
    assertEquals(JSON.parse(agent.stdout).via, "gateway");

    // A local run would write the gateway's session files beside it: refused, nothing written.
    const local = await runPyclaw(["agent", "--local", "--session", "beside", "hi"], {
      stateDir: dir,
    });
    assertEquals(local.code, 1);
    assertMatch(local.stderr, /A gateway \(pid \d+, ws:\/\/.+\) owns this state dir/);
    assertEquals(await exists(join(dir, "agents/main/sessions/beside.jsonl")), false);
    // Reading beside it is harmless.
    const list = await runPyclaw(["sessions", "list", "--local"], { stateDir: dir });
    assertEquals(list.code, 0, list.stderr);

    const elsewhere = "ws://127.0.0.1:9";
    const byEnv = await runPyclaw(["gateway", "call", "health", "--timeout", "2000"], {
      stateDir: dir,
      env: { PYCLAW_GATEWAY_URL: elsewhere },
    });
    assertEquals(byEnv.code, 1);
    assertMatch(byEnv.stderr, /127\.0\.0\.1:9/);
    const byFlag = await runPyclaw(["gateway", "call", "health", "--url", elsewhere], {
      stateDir: dir,
    });
    assertEquals(byFlag.code, 1);
    assertMatch(byFlag.stderr, /127\.0\.0\.1:9/);
  } finally {
    await gateway.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--local beside a live gateway neither rotates its log nor starts a second MCP server", async () => {
  // At debug the local route logs its client connecting: one line is enough to fill the file.
  const dir = await tempState({
    logging: { consoleLevel: "silent", level: "debug", maxFileBytes: 100_000 },
  });
  const gateway = await spawnGateway(dir);
  try {
    // Written from outside the gateway, so its own count stays low and it does not rotate.
    const log = join(dir, "logs", "pyclaw.log");
    await Deno.writeTextFile(log, `${"x".repeat(99)}\n`.repeat(1_001), { append: true });
    const list = await runPyclaw(["sessions", "list", "--local"], { stateDir: dir });
    assertEquals(list.code, 0, list.stderr);
    assertEquals(await exists(`${log}.1`), false);
    assertMatch(await Deno.readTextFile(log), /"via":"cli"/);

    for (const command of [["mcp", "status"], ["mcp", "list-tools"]]) {
      const mcp = await runPyclaw([...command, "--local"], { stateDir: dir });
      assertEquals(mcp.code, 1, command.join(" "));
      assertMatch(mcp.stderr, /--local would start a second copy of each MCP server beside it/);
    }
    const through = await runPyclaw(["mcp", "status", "--json"], { stateDir: dir });
    assertEquals(through.code, 0, through.stderr);

    // With no gateway left, the local route rotates the full file itself.
    await gateway.stop();
    const alone = await runPyclaw(["sessions", "list", "--local"], { stateDir: dir });
    assertEquals(alone.code, 0, alone.stderr);
    assertEquals(await exists(`${log}.1`), true);
  } finally {
    await gateway.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config set and models select apply through the running gateway before they return", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const dir = await tempState({
    models: { providers: { fake: { baseUrl: upstream.url, apiKey: "sk-test" } } },
  });
  const gateway = await spawnGateway(dir);
  try {
    const set = await runPyclaw(["config", "set", "agents.defaults.model", "fake/gpt-test"], {
      stateDir: dir,
    });
    assertEquals(set.code, 0, set.stderr);
    assertMatch(set.stdout, /Applied by the running gateway/);
    // The very next command sees the model: no "No model configured".
    const send = await runPyclaw([
      "gateway",
      "call",
      "chat.send",
      "--params",
      JSON.stringify({ message: "hi", sessionId: "right-after" }),
    ], { stateDir: dir });
    assertEquals(send.code, 0, send.stderr);
    assertEquals(JSON.parse(send.stdout).completed, true);
    assertMatch(await Deno.readTextFile(join(dir, "pyclaw.json")), /fake\/gpt-test/);

    const bad = await runPyclaw(["config", "set", "gateway.port", "high"], { stateDir: dir });
    assertEquals(bad.code, 1);
    assertMatch(bad.stderr, /INVALID_PARAMS/);
    // Without a gateway the same method runs in-process: the same schema, code and message.
    const longKey = `agents.${"x".repeat(600)}`;
    const alone = await tempState();
    try {
      const before = await Deno.readTextFile(join(alone, "pyclaw.json"));
      const [viaGateway, viaLocal] = await Promise.all([
        runPyclaw(["config", "set", longKey, "1"], { stateDir: dir }),
        runPyclaw(["config", "set", longKey, "1"], { stateDir: alone }),
      ]);
      assertEquals([viaGateway.code, viaLocal.code], [1, 1]);
      assertMatch(viaGateway.stderr, /INVALID_PARAMS: Invalid params for config\.set: key: /);
      assertEquals(viaLocal.stderr, viaGateway.stderr);
      assertEquals(await Deno.readTextFile(join(alone, "pyclaw.json")), before);
    } finally {
      await Deno.remove(alone, { recursive: true });
    }

    const store = new LocalModelStore(join(dir, "models"));
    const file = join(dir, "models", "tiny.gguf");
    await Deno.mkdir(join(dir, "models"), { recursive: true });
    await Deno.writeFile(file, new Uint8Array(16));
    await store.add({
      id: "acme/Tiny-GGUF/tiny.gguf",
      backend: "llamacpp",
      size: 16,
      path: file,
      source: "huggingface",
      repo: "acme/Tiny-GGUF",
      downloadedAt: new Date().toISOString(),
    });
    const select = await runPyclaw(["models", "select", "acme/Tiny-GGUF/tiny.gguf"], {
      stateDir: dir,
    });
    assertEquals(select.code, 0, select.stderr);
    assertMatch(select.stdout, /Applied by the running gateway/);
    const live = await runPyclaw([
      "gateway",
      "call",
      "config.get",
      "--params",
      '{"key":"agents.defaults.model"}',
    ], { stateDir: dir });
    assertEquals(JSON.parse(live.stdout).value, "llamacpp/acme/Tiny-GGUF/tiny.gguf");
  } finally {
    await gateway.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gateway run names the flag or key and the value of a bad bind or a taken port", async () => {
  const dir = await tempState();
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const flag = await runPyclaw(["gateway", "run", "--bind", "everywhere"], { stateDir: dir });
    assertEquals(flag.code, 2);
    assertMatch(flag.stderr, /--bind "everywhere" is not an address/);

    await Deno.writeTextFile(join(dir, "pyclaw.json"), '{ gateway: { bind: "everywhere" } }');
    const key = await runPyclaw(["gateway", "run"], { stateDir: dir });
    assertEquals(key.code, 1);
    // The same isValidBind as the flag, naming the key: a start rule, not the schema's.
    assertMatch(key.stderr, /gateway\.bind "everywhere" is not an address/);

    await Deno.writeTextFile(join(dir, "pyclaw.json"), "{}");
    const byFlag = await runPyclaw(["gateway", "run", "--port", `${port}`], { stateDir: dir });
    assertEquals(byFlag.code, 1);
    assertMatch(
      byFlag.stderr,
      new RegExp(`Port ${port} \\(--port\\) is in use: another gateway\\?`),
    );

    await Deno.writeTextFile(join(dir, "pyclaw.json"), JSON.stringify({ gateway: { port } }));
    const byKey = await runPyclaw(["gateway", "run"], { stateDir: dir });
    assertEquals(byKey.code, 1);
    assertMatch(byKey.stderr, new RegExp(`Port ${port} \\(gateway\\.port\\) is in use`));
    await Deno.writeTextFile(
      join(dir, "pyclaw.json"),
      JSON.stringify({ gateway: { http: { port } } }),
    );
    const http = await runPyclaw(["gateway", "run", "--port", "0"], { stateDir: dir });
    assertEquals(http.code, 1);
    assertMatch(http.stderr, new RegExp(`HTTP port ${port} \\(gateway\\.http\\.port\\) is in use`));
    // A refused start leaves no lock holder and no record behind.
    assertEquals(await exists(join(dir, "gateway.json")), false);
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gateway run never prints Deno's request.signal legacy-behaviour warning", async () => {
  const dir = await tempState();
  const gateway = await spawnGateway(dir);
  try {
    const token = (await Deno.readTextFile(join(dir, "gateway.token"))).trim();
    const http = gateway.url.replace(/^ws/, "http");
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`${http}/v1/models`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assertEquals(response.status, 200);
      await response.body?.cancel();
    }
  } finally {
    assertEquals(await gateway.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
  assert(!/legacy behavior|request\.signal/.test(gateway.stderr()), gateway.stderr());
});

Deno.test("a client whose gateway dies mid-request says it lost the connection", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const dir = await tempState({
    models: { providers: { fake: { baseUrl: upstream.url, apiKey: "sk-test" } } },
    agents: { defaults: { model: "fake/gpt-test" } },
  });
  const gateway = await spawnGateway(dir);
  try {
    upstream.reply({ chunks: ["Once ", "upon ", "a ", "time"], holdAfter: 0 });
    const call = runPyclaw([
      "gateway",
      "call",
      "chat.send",
      "--params",
      '{"message":"tell me a story"}',
    ], { stateDir: dir });
    await waitFor(() => upstream.requests.length > 0, 20_000);
    gateway.child.kill("SIGKILL");
    const result = await call;
    assertEquals(result.code, 1);
    assertMatch(result.stderr, /Lost connection to the gateway/);
    assert(!/Connection closed \(/.test(result.stderr), result.stderr);
  } finally {
    await gateway.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config set of the gateway's token through the running gateway is applied, without a false warning", async () => {
  const dir = await tempState();
  const gateway = await spawnGateway(dir);
  try {
    const token = "a-new-gateway-token-0123456789";
    const set = await runPyclaw(["config", "set", "gateway.auth.token", token], { stateDir: dir });
    assertEquals(set.code, 0, set.stderr);
    assertEquals(set.stderr, "");
    assertMatch(set.stdout, /Applied by the running gateway, which closed the connections/);
    // The new token is the one in force: the next command connects with it.
    const probe = await runPyclaw(["gateway", "probe", "--json"], { stateDir: dir });
    assertEquals(probe.code, 0, probe.stderr);
  } finally {
    await gateway.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gateway run --bind starts on a config whose gateway.bind is no address (the flag is in force), and a duplicate agent id is a warning", async () => {
  const dir = await tempState({
    gateway: { bind: "tailnet" },
    agents: { list: [{ id: "a" }, { id: "a" }] },
  });
  const gateway = await spawnGateway(dir, ["--bind", "127.0.0.1"]);
  try {
    assert(gateway.url.startsWith("ws://127.0.0.1:"), gateway.url);
    const log = await Deno.readTextFile(statePaths(dir).logFile);
    assertMatch(log, /Duplicate agent id \\?"a\\?": the gateway uses the first entry/);
  } finally {
    assertEquals(await gateway.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw doctor judges bind and auth with the running gateway's --bind and --auth-token, as config validate does", async () => {
  const dir = await tempState({ gateway: { bind: "tailnet" } });
  const doctorChecks = async () => {
    const run = await runPyclaw(["doctor", "--json"], { stateDir: dir });
    const report = JSON.parse(run.stdout) as { checks: { id: string; status: string }[] };
    return new Map(report.checks.map((check) => [check.id, check]));
  };
  try {
    // With no gateway running, the config alone: a bind that is no address fails both checks.
    let checks = await doctorChecks();
    assertEquals(checks.get("gateway.bind")?.status, "fail");
    assertEquals(checks.get("gateway.auth")?.status, "fail");
    const gateway = await spawnGateway(dir, ["--bind", "loopback"]);
    try {
      assertEquals((await runPyclaw(["config", "validate"], { stateDir: dir })).code, 0);
      checks = await doctorChecks();
      assertEquals(checks.get("gateway.bind"), undefined);
      assert(
        checks.get("gateway.auth")?.status !== "fail",
        JSON.stringify(checks.get("gateway.auth")),
      );
    } finally {
      assertEquals(await gateway.stop(), 0);
    }
    const token = "t".repeat(40);
    const withToken = await spawnGateway(dir, ["--bind", "127.0.0.1", "--auth-token", token]);
    try {
      checks = await doctorChecks();
      assertEquals(checks.get("gateway.auth")?.status, "ok");
      assertMatch(
        (checks.get("gateway.auth") as unknown as { message: string }).message,
        /--auth-token, bind 127\.0\.0\.1/,
      );
    } finally {
      assertEquals(await withToken.stop(), 0);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("config set of a LAN bind is judged with the running gateway's --auth-token, through it or its record", async () => {
  const dir = await tempState();
  const token = "k".repeat(40);
  const gateway = await spawnGateway(dir, ["--auth-token", token]);
  try {
    // Through the gateway (the CLI holds the token): its own flag counts.
    const via = await runPyclaw(["config", "set", "gateway.bind", "lan"], {
      stateDir: dir,
      env: { PYCLAW_AUTH_TOKEN: token },
    });
    assertEquals(via.code, 0, via.stderr);
    await runPyclaw(["config", "set", "gateway.bind", "loopback"], {
      stateDir: dir,
      env: { PYCLAW_AUTH_TOKEN: token },
    });
    // Without the token the CLI cannot get in, and writes the file itself: the gateway's record
    // says it was started with --auth-token, so the same edit is taken.
    const byFile = await runPyclaw(["config", "set", "gateway.bind", "lan"], { stateDir: dir });
    assertEquals(byFile.code, 0, byFile.stderr);
    assertEquals((await readJson(join(dir, "pyclaw.json"))).gateway.bind, "lan");
  } finally {
    await gateway.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
