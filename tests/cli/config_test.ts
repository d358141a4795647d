import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { runPyclaw } from "../_helpers/cli.ts";

Deno.test("pyclaw config set, get, list and path edit the config file with validation", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-config-" });
  const file = join(dir, "pyclaw.json");
  try {
    assertEquals((await runPyclaw(["config", "path"], { stateDir: dir })).stdout, `${file}\n`);
    const set = await runPyclaw(["config", "set", "gateway.port", "19123"], { stateDir: dir });
    assertEquals(set.code, 0, set.stderr);
    assertEquals(
      (await runPyclaw(["config", "get", "gateway.port"], { stateDir: dir })).stdout,
      "19123\n",
    );
    await runPyclaw(["config", "set", "tools.exec.allowPatterns", '["git *","ls *"]'], {
      stateDir: dir,
    });
    await runPyclaw(["config", "set", "agents.defaults.model", "openai/gpt-4o"], { stateDir: dir });
    const written = JSON.parse(await Deno.readTextFile(file));
    assertEquals(written.tools.exec.allowPatterns, ["git *", "ls *"]);
    assertEquals(written.agents.defaults.model, "openai/gpt-4o");

    const secret = "a-very-secret-token-value";
    const setSecret = await runPyclaw(["config", "set", "gateway.auth.token", secret], {
      stateDir: dir,
    });
    assert(!setSecret.stdout.includes(secret));
    const got = await runPyclaw(["config", "get", "gateway.auth.token"], { stateDir: dir });
    assertEquals(got.stdout, "(secret, not shown)\n");
    const list = await runPyclaw(["config", "list", "--json"], { stateDir: dir });
    assert(!list.stdout.includes(secret));
    assertEquals(JSON.parse(list.stdout).gateway.port, 19123);
    assertMatch(
      (await runPyclaw(["config", "list"], { stateDir: dir })).stdout,
      /^gateway\.bind = "loopback"$/m,
    );

    const before = await Deno.readTextFile(file);
    const badType = await runPyclaw(["config", "set", "gateway.port", '"high"'], { stateDir: dir });
    assertEquals(badType.code, 1);
    assertMatch(badType.stderr, /Error: INVALID_PARAMS: Invalid config: gateway\.port/);
    const unknown = await runPyclaw(["config", "set", "gateway.nope", "1"], { stateDir: dir });
    assertEquals(unknown.code, 1);
    assertMatch(unknown.stderr, /Unknown config key: gateway\.nope/);
    const unknownGet = await runPyclaw(["config", "get", "nothing.here"], { stateDir: dir });
    assertEquals(unknownGet.code, 1);
    assertEquals(await Deno.readTextFile(file), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw config validate exits 1 on an invalid file and names the problem", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-config-" });
  try {
    const fresh = await runPyclaw(["config", "validate", "--json"], { stateDir: dir });
    assertEquals(fresh.code, 0);
    assertEquals(JSON.parse(fresh.stdout).exists, false);
    await Deno.writeTextFile(join(dir, "pyclaw.json"), '{ gateway: { port: "x" }, extra: 1 }');
    const bad = await runPyclaw(["config", "validate", "--json"], { stateDir: dir });
    assertEquals(bad.code, 1);
    const report = JSON.parse(bad.stdout);
    assertEquals(report.valid, false);
    assertEquals(report.issues[0].path, "gateway.port");
    const text = await runPyclaw(["config", "validate"], { stateDir: dir });
    assertMatch(text.stdout, /^Invalid: .*\n {2}gateway\.port: /);
    const set = await runPyclaw(["config", "set", "gateway.bind", "lan"], { stateDir: dir });
    assertEquals(set.code, 1);
    assertMatch(set.stderr, /Invalid config .*gateway\.port/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw config set works on a commented file with an unknown key, and keeps both", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-config-" });
  const file = join(dir, "pyclaw.json");
  try {
    await Deno.writeTextFile(file, "{\n  // from an older version\n  legacyKey: 1,\n}\n");
    const set = await runPyclaw(["config", "set", "gateway.port", "19124"], { stateDir: dir });
    assertEquals(set.code, 0, set.stderr);
    const text = await Deno.readTextFile(file);
    assertMatch(text, /\/\/ from an older version\n {2}legacyKey: 1,/);
    assertMatch(text, /port: 19124/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw config set hides secrets nested in an object value", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-config-" });
  try {
    const secret = "sk-nested-secret-value";
    const cases: [string, unknown][] = [
      ["models.providers.openai", { baseUrl: "http://127.0.0.1:9/v1", apiKey: secret }],
      ["gateway.auth", { mode: "token", token: secret }],
      [
        "tools.mcpServers",
        { remote: { url: "http://127.0.0.1:9/mcp", headers: { "X-Custom": secret } } },
      ],
      ["tools.mcpServers.remote.headers.X-Custom", secret],
    ];
    for (const [key, value] of cases) {
      const set = await runPyclaw(["config", "set", key, JSON.stringify(value)], { stateDir: dir });
      assertEquals(set.code, 0, set.stderr);
      assert(!set.stdout.includes(secret), set.stdout);
      assertMatch(set.stdout, new RegExp(`^Set ${key.replaceAll(".", "\\.")}`));
    }
    const provider = await runPyclaw(
      ["config", "set", "models.providers.openai", JSON.stringify(cases[0][1])],
      { stateDir: dir },
    );
    assertMatch(provider.stdout, /"baseUrl":"http:\/\/127\.0\.0\.1:9\/v1","apiKey":"\(secret\)"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw config set without a gateway prints its own line, not the gateway's log lines", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-config-" });
  try {
    const set = await runPyclaw(["config", "set", "gateway.port", "19999"], { stateDir: dir });
    assertEquals(set.code, 0, set.stderr);
    assertEquals(set.stderr, "");
    assertMatch(set.stdout, /^Set gateway\.port = 19999 in .*pyclaw\.json\n$/);
    // The in-process work still leaves its trail in the log file.
    assertMatch(await Deno.readTextFile(join(dir, "logs", "pyclaw.log")), /config reloaded/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw config set and validate refuse what gateway run refuses: a bad bind, a LAN bind without a token; set refuses duplicate agents", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-config-" });
  const file = join(dir, "pyclaw.json");
  try {
    for (const bind of ["everywhere", "1.2.3.4.5"]) {
      const set = await runPyclaw(["config", "set", "gateway.bind", bind], { stateDir: dir });
      assertEquals(set.code, 1, set.stdout);
      assertMatch(set.stderr, /gateway\.bind: ".*" is not an address the gateway can listen on/);
    }
    const lan = await runPyclaw(["config", "set", "gateway.bind", "lan"], { stateDir: dir });
    assertEquals(lan.code, 1);
    assertMatch(
      lan.stderr,
      /gateway\.auth\.token: Refusing to bind 0\.0\.0\.0 without an explicit/,
    );
    const password = await runPyclaw(["config", "set", "gateway.auth.mode", "password"], {
      stateDir: dir,
    });
    assertEquals(password.code, 1);
    assertMatch(password.stderr, /gateway\.auth\.password/);
    const twice = await runPyclaw(
      ["config", "set", "agents.list", '[{"id":"main"},{"id":"main"}]'],
      { stateDir: dir },
    );
    assertEquals(twice.code, 1);
    assertMatch(twice.stderr, /agents\.list\[1\]\.id: Duplicate agent id "main"/);
    assertEquals(await Deno.stat(file).then(() => true, () => false), false);

    // Written by hand: validate judges as the gateway does, the generated token file counting
    // on loopback only and PYCLAW_AUTH_TOKEN counting anywhere.
    await Deno.writeTextFile(join(dir, "gateway.token"), "f".repeat(43) + "\n");
    await Deno.writeTextFile(file, '{ gateway: { bind: "lan" } }');
    const invalid = await runPyclaw(["config", "validate", "--json"], { stateDir: dir });
    assertEquals(invalid.code, 1);
    const issue = JSON.parse(invalid.stdout).issues[0];
    assertEquals(issue.path, "gateway.auth.token");
    // It is about a start from the config alone, and names the flag that also satisfies it.
    assertMatch(issue.message, /^When the gateway starts from this config alone .*--auth-token/);
    const withEnv = await runPyclaw(["config", "validate"], {
      stateDir: dir,
      env: { PYCLAW_AUTH_TOKEN: "e".repeat(40) },
    });
    assertEquals(withEnv.code, 0, withEnv.stdout);
    await Deno.writeTextFile(file, '{ gateway: { bind: "127.0.0.1" } }');
    assertEquals((await runPyclaw(["config", "validate"], { stateDir: dir })).code, 0);
    // A config an older pyclaw took: valid, with a warning naming the key.
    await Deno.writeTextFile(file, '{ agents: { list: [{ id: "a" }, { id: "a" }] } }');
    const dup = await runPyclaw(["config", "validate"], { stateDir: dir });
    assertEquals(dup.code, 0, dup.stdout);
    assertMatch(
      dup.stdout,
      /warning: agents\.list\[1\]\.id: Duplicate agent id "a": the gateway uses the first/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pyclaw config commands keep working on a gateway.bind that is no address, and can fix it; doctor names it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-cli-config-" });
  const file = join(dir, "pyclaw.json");
  try {
    await Deno.writeTextFile(file, '{ gateway: { bind: "tailnet", port: 28911 } }');
    const get = await runPyclaw(["config", "get", "gateway.port"], { stateDir: dir });
    assertEquals(get.code, 0, get.stderr);
    assertEquals(get.stdout.trim(), "28911");
    const port = await runPyclaw(["config", "set", "gateway.port", "28912"], { stateDir: dir });
    assertEquals(port.code, 0, port.stderr);
    const validate = await runPyclaw(["config", "validate", "--json"], { stateDir: dir });
    assertEquals(validate.code, 1);
    assertEquals(JSON.parse(validate.stdout).issues[0].path, "gateway.bind");
    const doctor = await runPyclaw(["doctor", "--json"], { stateDir: dir });
    const checks = JSON.parse(doctor.stdout).checks as { id: string; status: string }[];
    assertEquals(checks.find((c) => c.id === "config.valid")?.status, "ok");
    assertEquals(checks.find((c) => c.id === "gateway.bind")?.status, "fail");
    const fix = await runPyclaw(["config", "set", "gateway.bind", "loopback"], { stateDir: dir });
    assertEquals(fix.code, 0, fix.stderr);
    assertEquals((await runPyclaw(["config", "validate"], { stateDir: dir })).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
