import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { runPyclaw } from "../_helpers/cli.ts";
import { startFakeOpenAI } from "../_helpers/fake_openai.ts";
import { TerminalSession } from "../_helpers/terminal.ts";
import { agentPromptWords, TINY_MODEL_ID, tinyModelStore } from "../_helpers/tiny_model.ts";

const KEY = "sk-test-0123456789abcdefSECRET";
const root = new URL("../..", import.meta.url).pathname;

Deno.test("pyclaw setup --non-interactive writes a config that validate and doctor accept", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: KEY });
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-setup-" });
  try {
    const run = await runPyclaw([
      "setup",
      "--non-interactive",
      "--provider",
      "openai",
      "--base-url",
      upstream.url,
      "--model",
      "gpt-test",
      "--port",
      "9",
      "--json",
    ], { stateDir: dir, env: { OPENAI_API_KEY: KEY } });
    assertEquals(run.code, 0, run.stderr);
    assert(!run.stdout.includes(KEY) && !run.stderr.includes(KEY), "the key is printed");
    const report = JSON.parse(run.stdout);
    assertEquals(report.model, "openai/gpt-test");
    assertEquals(report.probe.available, true);
    const token = (await Deno.readTextFile(join(dir, "gateway.token"))).trim();
    assert(token.length >= 32);
    assert(!run.stdout.includes(token), "the gateway token is printed");

    const written = JSON.parse(await Deno.readTextFile(join(dir, "pyclaw.json")));
    assertEquals(written.models.providers.openai.apiKey, KEY);
    assertEquals(written.agents.defaults.model, "openai/gpt-test");
    assertEquals((await Deno.stat(join(dir, "pyclaw.json"))).mode! & 0o777, 0o600);

    const validate = await runPyclaw(["config", "validate"], { stateDir: dir });
    assertEquals(validate.code, 0, validate.stdout);
    const doctor = await runPyclaw(["doctor", "--json"], { stateDir: dir });
    assertEquals(doctor.code, 0, doctor.stdout);
    assertEquals(JSON.parse(doctor.stdout).summary.fail, 0);

    // Run again without a key or URL: what is saved stays, the rest is updated.
    const rerun = await runPyclaw(
      ["setup", "--non-interactive", "--provider", "openai", "--model", "gpt-test", "--port", "19"],
      { stateDir: dir },
    );
    assertEquals(rerun.code, 0, rerun.stderr);
    const rewritten = JSON.parse(await Deno.readTextFile(join(dir, "pyclaw.json")));
    assertEquals(rewritten.models.providers.openai, { baseUrl: upstream.url, apiKey: KEY });
    assertEquals(rewritten.gateway.port, 19);
    assertEquals((await Deno.readTextFile(join(dir, "gateway.token"))).trim(), token);

    // The configured model answers an agent turn.
    const agent = await runPyclaw(["agent", "ping"], { stateDir: dir });
    assertEquals(agent.stdout, "Echo: ping\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw setup over a commented config with an unknown key keeps both and succeeds", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: KEY });
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-setup-" });
  try {
    const file = join(dir, "pyclaw.json");
    await Deno.writeTextFile(file, "{\n  // written by hand\n  oldSetting: true,\n}\n");
    const run = await runPyclaw([
      "setup",
      "--non-interactive",
      "--provider",
      "openai",
      "--base-url",
      upstream.url,
      "--model",
      "gpt-test",
      "--json",
    ], { stateDir: dir, env: { OPENAI_API_KEY: KEY } });
    assertEquals(run.code, 0, run.stderr);
    const text = await Deno.readTextFile(file);
    assertMatch(text, /\/\/ written by hand\n {2}oldSetting: true,/);
    assertMatch(text, /openai\/gpt-test/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw setup --non-interactive refuses bad answers and reports a failed probe", async () => {
  await using upstream = await startFakeOpenAI({ models: ["gpt-test"], apiKey: KEY });
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-setup-" });
  try {
    const noProvider = await runPyclaw(["setup", "--non-interactive"], { stateDir: dir });
    assertEquals(noProvider.code, 2);
    assertMatch(
      noProvider.stderr,
      /No provider: pass --provider, or set a key such as OPENAI_API_KEY/,
    );
    const noKey = await runPyclaw(["setup", "--non-interactive", "--provider", "anthropic"], {
      stateDir: dir,
    });
    assertEquals(noKey.code, 2);
    assertMatch(
      noKey.stderr,
      /Anthropic needs an API key: pass --api-key or set ANTHROPIC_API_KEY/,
    );
    const custom = await runPyclaw(["setup", "--non-interactive", "--provider", "mine"], {
      stateDir: dir,
    });
    assertMatch(custom.stderr, /Provider "mine" is not one setup knows: give its --base-url/);
    const badMcp = await runPyclaw(
      ["setup", "--non-interactive", "--provider", "ollama", "--mcp", "no-command="],
      { stateDir: dir },
    );
    assertEquals(badMcp.code, 2);
    assertMatch(badMcp.stderr, /Invalid MCP server: "no-command="/);
    await assertRejectsFile(join(dir, "pyclaw.json"));

    const wrongKey = "sk-wrong-key-abcdefghijklmnop";
    const probed = await runPyclaw([
      "setup",
      "--non-interactive",
      "--provider",
      "openai",
      "--base-url",
      upstream.url,
      "--api-key",
      wrongKey,
      "--model",
      "gpt-test",
      "--strict",
    ], { stateDir: dir });
    assertEquals(probed.code, 1);
    assertMatch(probed.stdout, /Probe {6}FAILED: .*rejected the API key/);
    assert(!probed.stdout.includes(wrongKey));
    assertMatch(probed.stdout, /API key {4}sk-w…mnop/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function assertRejectsFile(path: string): Promise<void> {
  const exists = await Deno.stat(path).then(() => true, () => false);
  assertEquals(exists, false, `${path} was written by a refused setup`);
}

Deno.test({
  name: "pyclaw setup asks on a real terminal, hides the key and writes a working config",
  ignore: !TerminalSession.available(),
  async fn() {
    await using upstream = await startFakeOpenAI({ models: ["gpt-test", "gpt-zeta"], apiKey: KEY });
    const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-setup-tty-" });
    await using term = await TerminalSession.start(join(root, "scripts/pyclaw"), ["setup"], {
      PYCLAW_STATE_DIR: dir,
      NO_COLOR: "1",
    });
    try {
      await term.waitFor("Which model provider?");
      await term.waitFor("Choose [openai]");
      await term.type("10"); // another OpenAI-compatible API
      await term.waitFor("Provider id");
      await term.type("stand-in");
      await term.waitFor("API base URL");
      await term.type(upstream.url);
      await term.waitFor("Which API does it speak?");
      await term.type("");
      await term.waitFor("API key for stand-in");
      await term.type(KEY);
      await term.waitFor("Default model");
      await term.waitFor("2) gpt-zeta"); // listed from the provider
      await term.type("1");
      await term.waitFor("Add an MCP server");
      await term.type("y");
      await term.waitFor("name=command args");
      await term.type(`everything=${join(root, "node_modules/.bin/mcp-server-everything")}`);
      await term.waitFor(/Add an MCP server[^\n]*\n[^\n]*\n[^\n]*Add an MCP server/);
      await term.type("n");
      await term.waitFor("Write it?");
      await term.type("");
      // The screen once setup has ended: the summary prints its lines one by one, and the one
      // taken when "pyclaw is set up" first showed could end before the probe's line.
      await term.waitFor("pyclaw is set up");
      const screen = await term.waitFor("EXIT=0");
      assert(!screen.includes(KEY), "the key was echoed on the terminal");
      assertMatch(screen, /\*{10,}/); // typed as stars
      assertMatch(screen, /Probe {6}OK/);
      assertMatch(screen, /Model {6}stand-in\/gpt-test/);

      const written = JSON.parse(await Deno.readTextFile(join(dir, "pyclaw.json")));
      assertEquals(written.models.providers["stand-in"], { baseUrl: upstream.url, apiKey: KEY });
      assertEquals(written.agents.defaults.model, "stand-in/gpt-test");
      assertEquals(Object.keys(written.tools.mcpServers), ["everything"]);
      const validate = await runPyclaw(["config", "validate"], { stateDir: dir });
      assertEquals(validate.code, 0, validate.stdout);
      const doctor = await runPyclaw(["doctor", "--json"], { stateDir: dir });
      assertEquals(JSON.parse(doctor.stdout).summary.fail, 0, doctor.stdout);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("pyclaw setup with a downloaded local model probes it for real, and agent answers with it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-setup-local-" });
  try {
    // Its vocabulary holds the prompt's words, as a real model's does (one token a character
    // would make its 8,192 tokens hold a quarter of a real 8k model's prompt).
    await using _store = await tinyModelStore(dir, { words: agentPromptWords() });
    const missing = await runPyclaw(
      ["setup", "--non-interactive", "--provider", "llamacpp", "--model", "nope"],
      { stateDir: dir },
    );
    assertEquals(missing.code, 2);
    assertMatch(
      missing.stderr,
      /Local model not downloaded: "nope" \(downloaded: pyclaw\/tiny-GGUF/,
    );

    const run = await runPyclaw(
      ["setup", "--non-interactive", "--provider", "llamacpp", "--model", TINY_MODEL_ID, "--json"],
      { stateDir: dir },
    );
    assertEquals(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assertEquals(report.model, `llamacpp/${TINY_MODEL_ID}`);
    assertEquals(report.probe.available, true, JSON.stringify(report.probe));
    assertEquals(report.apiKey, undefined);

    // The tiny model's context needs room for the tool descriptions; keep its answers short.
    for (
      const [key, value] of [
        ["models.local", '{"contextSize":8192,"threads":1,"gpuLayers":0}'],
        ["models.providers.llamacpp", `{"models":[{"id":"${TINY_MODEL_ID}","maxTokens":6}]}`],
      ]
    ) {
      assertEquals((await runPyclaw(["config", "set", key, value], { stateDir: dir })).code, 0);
    }
    const agent = await runPyclaw(["agent", "--json", "hello"], { stateDir: dir });
    assertEquals(agent.code, 0, agent.stdout + agent.stderr);
    const answer = JSON.parse(agent.stdout);
    assertEquals(answer.via, "local");
    assert(answer.usage.completionTokens > 0);
    // The default tools fit an 8k window with room to talk (issue 15), not just barely.
    assert(answer.usage.promptTokens < 6_000, JSON.stringify(answer.usage));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw setup --bind lan writes the token where the gateway takes it for a LAN bind; a bad bind exits 2", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-setup-" });
  const base = ["setup", "--non-interactive", "--provider", "openai", "--api-key", KEY];
  const flags = ["--base-url", "http://127.0.0.1:9/v1", "--skip-probe", "--json"];
  try {
    for (const bind of ["everywhere", "1.2.3.4.5"]) {
      const bad = await runPyclaw([...base, ...flags, "--bind", bind], { stateDir: dir });
      assertEquals(bad.code, 2, bad.stderr);
      assertMatch(
        bad.stderr,
        new RegExp(`--bind "${bind.replaceAll(".", "\\.")}" is not an address`),
      );
      await assertRejectsFile(join(dir, "pyclaw.json"));
    }
    // First on loopback: the token goes to the token file, as before.
    const local = await runPyclaw([...base, ...flags], { stateDir: dir });
    assertEquals(local.code, 0, local.stderr);
    assertEquals(JSON.parse(local.stdout).gateway.tokenSource, "file");
    const fileToken = (await Deno.readTextFile(join(dir, "gateway.token"))).trim();

    // Then on the LAN: the gateway takes the token file on loopback only, so setup writes the
    // token clients already hold into gateway.auth.token.
    const lan = await runPyclaw([...base, ...flags, "--bind", "lan"], { stateDir: dir });
    assertEquals(lan.code, 0, lan.stderr);
    const report = JSON.parse(lan.stdout);
    assertEquals(report.gateway.bind, "lan");
    assertEquals(report.gateway.tokenSource, "config");
    const written = JSON.parse(await Deno.readTextFile(join(dir, "pyclaw.json")));
    assertEquals(written.gateway.auth.token, fileToken);
    const validate = await runPyclaw(["config", "validate"], { stateDir: dir });
    assertEquals(validate.code, 0, validate.stdout);
    const doctor = JSON.parse((await runPyclaw(["doctor", "--json"], { stateDir: dir })).stdout);
    const auth = doctor.checks.find((c: { id: string }) => c.id === "gateway.auth");
    assertEquals(auth.status, "ok", auth.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw setup --bind lan with a new or given token, and refusing auth mode none", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-setup-" });
  const base = ["setup", "--non-interactive", "--provider", "openai", "--api-key", KEY];
  const flags = ["--base-url", "http://127.0.0.1:9/v1", "--skip-probe", "--json"];
  try {
    const given = "g".repeat(40);
    const run = await runPyclaw(
      [...base, ...flags, "--bind", "0.0.0.0", "--gateway-token", given],
      {
        stateDir: dir,
      },
    );
    assertEquals(run.code, 0, run.stderr);
    assertEquals(
      JSON.parse(await Deno.readTextFile(join(dir, "pyclaw.json"))).gateway.auth.token,
      given,
    );

    await Deno.writeTextFile(join(dir, "pyclaw.json"), '{ gateway: { auth: { mode: "none" } } }');
    const before = await Deno.readTextFile(join(dir, "pyclaw.json"));
    const none = await runPyclaw([...base, ...flags, "--bind", "lan"], { stateDir: dir });
    assertEquals(none.code, 2, none.stdout);
    assertMatch(none.stderr, /gateway\.auth\.mode: Refusing to start: gateway\.auth\.mode "none"/);
    assertEquals(await Deno.readTextFile(join(dir, "pyclaw.json")), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
