import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { PYCLAW, runPyclaw } from "../_helpers/cli.ts";
import { type FakeProvider, startFakeOpenAI } from "../_helpers/fake_openai.ts";
import { startTestGateway } from "../_helpers/gateway.ts";

function providerConfig(url: string, port = 9) {
  return {
    // Port 9 (discard): nothing answers there, so the CLI runs in-process.
    gateway: { port },
    models: { providers: { fake: { baseUrl: url, apiKey: "sk-test" } } },
    agents: { defaults: { model: "fake/gpt-test" } },
    tools: { exec: { policy: "allow" } },
    logging: { consoleLevel: "silent" },
  };
}

async function tempState(config: unknown): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-agent-" });
  await Deno.writeTextFile(join(dir, "pyclaw.json"), JSON.stringify(config));
  return dir;
}

Deno.test("pyclaw agent runs in-process without a gateway, streaming text and tool calls", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const dir = await tempState(providerConfig(upstream.url));
  try {
    upstream.reply(
      { toolCalls: [{ name: "exec", arguments: { command: "echo tool-ran" } }] },
      { chunks: ["Hello ", "from ", "the stand-in"] },
    );
    const run = await runPyclaw(["agent", "Say", "hello"], { stateDir: dir });
    assertEquals(run.code, 0, run.stderr);
    assertEquals(run.stdout, "Hello from the stand-in\n");
    assertMatch(run.stderr, /⚙ exec\(\{"command":"echo tool-ran"\}\)/);
    // The tool really ran: its output went back to the model in the second request.
    assertEquals(upstream.requests.length, 2);
    assertMatch(JSON.stringify(upstream.requests[1].body.messages), /tool-ran/);
    assertEquals(upstream.requests[0].body.messages.at(-1).content, "Say hello");
    const session = await Deno.readTextFile(join(dir, "agents/main/sessions/main.jsonl"));
    assertMatch(session, /Hello from the stand-in/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw agent notes beside the answer that the tool-round limit stopped it", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const config = providerConfig(upstream.url);
  const dir = await tempState({
    ...config,
    agents: { defaults: { ...config.agents.defaults, maxIterations: 2 } },
  });
  try {
    upstream.setDefault({
      text: "Still looking",
      toolCalls: [{ name: "exec", arguments: { command: "echo again" } }],
    });
    const run = await runPyclaw(["agent", "--json", "Loop"], { stateDir: dir });
    assertEquals(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assertEquals([result.text, result.stopReason], ["Still lookingStill looking", "toolLimit"]);
    const plain = await runPyclaw(["agent", "Loop"], { stateDir: dir });
    assertEquals(plain.stdout, "Still lookingStill looking\n");
    assertMatch(plain.stderr, /Stopped: this agent's limit of tool rounds \(maxIterations\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw agent in-process gets the gateway's skills in its prompt and its read_skill tool", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const dir = await tempState(providerConfig(upstream.url));
  try {
    await Deno.mkdir(join(dir, "skills", "haiku"), { recursive: true });
    await Deno.writeTextFile(
      join(dir, "skills", "haiku", "SKILL.md"),
      "---\nname: haiku\ndescription: Write a haiku\n---\nInstructions of haiku.\n",
    );
    upstream.reply(
      { toolCalls: [{ name: "read_skill", arguments: { name: "haiku" } }] },
      { text: "Done" },
    );
    const run = await runPyclaw(["agent", "Write a haiku"], { stateDir: dir });
    assertEquals(run.code, 0, run.stderr);
    const system = upstream.requests[0].body.messages[0];
    assertEquals(system.role, "system");
    assertMatch(system.content, /- haiku: Write a haiku/);
    // The skill's instructions reached the model as the tool's answer.
    assertMatch(JSON.stringify(upstream.requests[1].body.messages.at(-1)), /Instructions of haiku/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw agent reads the message from stdin and prints parseable --json", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const dir = await tempState(providerConfig(upstream.url));
  try {
    const run = await runPyclaw(["agent", "--json", "--session", "piped"], {
      stateDir: dir,
      stdin: "a message from a pipe\n",
    });
    assertEquals(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assertEquals(result.ok, true);
    assertEquals(result.via, "local");
    assertEquals(result.sessionId, "piped");
    assertEquals(result.text, "Echo: a message from a pipe");
    assert(result.usage.totalTokens > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw agent sends the message and then the piped stdin, as the README's git diff example", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const dir = await tempState(providerConfig(upstream.url));
  try {
    const diff = "diff --git a/x b/x\n-old\n+new\n";
    const run = await runPyclaw(["agent", "Review", "this", "change"], {
      stateDir: dir,
      stdin: diff,
    });
    assertEquals(run.code, 0, run.stderr);
    assertEquals(
      upstream.requests[0].body.messages.at(-1).content,
      "Review this change\n\ndiff --git a/x b/x\n-old\n+new",
    );
    const help = await runPyclaw(["agent", "--help"], { stateDir: dir });
    assertMatch(help.stdout, /both a message and piped stdin, both are sent/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw agent exits non-zero with a clear message when the provider fails", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const dir = await tempState(providerConfig(upstream.url));
  try {
    upstream.reply({ error: { status: 500, message: "upstream exploded" } });
    const failed = await runPyclaw(["agent", "hi"], { stateDir: dir });
    assertEquals(failed.code, 1);
    assertMatch(failed.stderr, /^Error: .*upstream exploded/m);
    assertEquals(failed.stdout, "");

    const unknownAgent = await runPyclaw(["agent", "--agent", "nobody", "hi"], { stateDir: dir });
    assertEquals(unknownAgent.code, 1);
    assertMatch(unknownAgent.stderr, /NOT_FOUND: Agent not found: nobody/);

    const empty = await runPyclaw(["agent"], { stateDir: dir, stdin: "" });
    assertEquals(empty.code, 2);
    assertMatch(empty.stderr, /No message/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw agent goes through a running gateway, found from config and token file", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  // No token given: the gateway generates its token file, and the CLI reads it from there.
  await using gw = await startTestGateway({
    config: providerConfig(upstream.url),
    authToken: null,
  });
  await Deno.writeTextFile(
    gw.configPath,
    JSON.stringify(providerConfig(upstream.url, gw.gateway.port)),
  );
  upstream.reply(
    { toolCalls: [{ name: "exec", arguments: { command: "echo via-gateway" } }] },
    { chunks: ["Streamed ", "through ", "the gateway"] },
  );
  const run = await runPyclaw(["agent", "--session", "cli", "hello gateway"], {
    stateDir: gw.stateDir,
  });
  assertEquals(run.code, 0, run.stderr);
  assertEquals(run.stdout, "Streamed through the gateway\n");
  assertMatch(run.stderr, /⚙ exec\(\{"command":"echo via-gateway"\}\)/);
  const history = await gw.gateway.services.sessions.read("main", "cli");
  assertEquals(history.map((m) => m.role), ["user", "assistant", "tool", "assistant"]);
  assertMatch(String(history[2].content), /via-gateway/);

  const json = await runPyclaw(["agent", "--json", "again"], { stateDir: gw.stateDir });
  assertEquals(JSON.parse(json.stdout).via, "gateway");

  upstream.reply({ error: { status: 401 } });
  const failed = await runPyclaw(["agent", "fail please"], { stateDir: gw.stateDir });
  assertEquals(failed.code, 1);
  assertMatch(failed.stderr, /AUTH_REQUIRED: Provider fake rejected the API key/);

  const wrongToken = await runPyclaw(["agent", "hi"], {
    stateDir: gw.stateDir,
    env: { PYCLAW_AUTH_TOKEN: "not-the-token" },
  });
  assertEquals(wrongToken.code, 1);
  assertMatch(wrongToken.stderr, /AUTH_REQUIRED: Invalid token/);
});

/**
 * Queues a slow story on `upstream`, runs `pyclaw agent` and sends Ctrl-C once the first chunk is
 * out. The story holds after that chunk until the signal is sent and then goes on a chunk per
 * 400 ms, so the window for the CLI to stop starts at the signal, not at a first chunk that a
 * loaded machine may have taken long to pass on.
 */
async function interruptAfterFirstChunk(
  stateDir: string,
  upstream: FakeProvider,
): Promise<{ code: number; out: string }> {
  const interrupted = Promise.withResolvers<void>();
  upstream.reply({ ...SLOW, holdAfter: 1, release: interrupted.promise });
  const child = new Deno.Command(PYCLAW, {
    args: ["agent", "--session", "slow", "tell me a long story"],
    env: { PYCLAW_STATE_DIR: stateDir, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("Once")) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  child.kill("SIGINT");
  interrupted.resolve();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  return { code: (await child.status).code, out };
}

const SLOW = {
  chunks: ["Once ", "upon ", "a ", "time ", "there ", "was ", "more"],
  chunkDelayMs: 400,
};

Deno.test("pyclaw agent stops on Ctrl-C with exit 130, in-process and on the gateway", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  const dir = await tempState(providerConfig(upstream.url));
  try {
    const local = await interruptAfterFirstChunk(dir, upstream);
    assertEquals(local.code, 130);
    assert(!local.out.includes("more"), "the answer went on after Ctrl-C");
    const session = await Deno.readTextFile(join(dir, "agents/main/sessions/slow.jsonl"));
    assertMatch(session, /"aborted":true/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  await using gw = await startTestGateway({
    config: providerConfig(upstream.url),
    authToken: null,
  });
  await Deno.writeTextFile(
    gw.configPath,
    JSON.stringify(providerConfig(upstream.url, gw.gateway.port)),
  );
  const remote = await interruptAfterFirstChunk(gw.stateDir, upstream);
  assertEquals(remote.code, 130);
  // chat.abort reached the gateway: its run ended early, recorded as aborted.
  const history = await gw.gateway.services.sessions.read("main", "slow");
  const last = history.at(-1);
  assertEquals(last?.role === "assistant" && last.aborted, true);
  assert(!gw.gateway.services.chat.isActive("main", "slow"));
});

Deno.test("pyclaw agent --timeout fails with a timeout error and exit 1, in-process and on the gateway", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: "sk-test" });
  // A provider that never answers: held until the client goes away.
  upstream.reply({ chunks: ["never"], holdAfter: 0 }, { chunks: ["never"], holdAfter: 0 });
  const dir = await tempState(providerConfig(upstream.url));
  try {
    const local = await runPyclaw(["agent", "--timeout", "1000", "--json", "hello"], {
      stateDir: dir,
    });
    assertEquals(local.code, 1, local.stderr);
    const report = JSON.parse(local.stdout);
    assertEquals(report.error.message, "Timed out after 1000 ms waiting for chat.send");
    assertEquals(report.aborted, undefined);
    const text = await runPyclaw(["agent", "--timeout", "1000", "hello"], { stateDir: dir });
    assertEquals(text.code, 1);
    assertMatch(text.stderr, /^Error: Timed out after 1000 ms waiting for chat\.send$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  await using gw = await startTestGateway({
    config: providerConfig(upstream.url),
    authToken: null,
  });
  await Deno.writeTextFile(
    gw.configPath,
    JSON.stringify(providerConfig(upstream.url, gw.gateway.port)),
  );
  upstream.reply({ chunks: ["never"], holdAfter: 0 });
  const remote = await runPyclaw(["agent", "--timeout", "1000", "--json", "hello"], {
    stateDir: gw.stateDir,
  });
  assertEquals(remote.code, 1, remote.stderr);
  const remoteReport = JSON.parse(remote.stdout);
  assertEquals(remoteReport.via, "gateway");
  assertEquals(remoteReport.error.message, "Timed out after 1000 ms waiting for chat.send");
});
