import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { startTestGateway } from "../_helpers/gateway.ts";
import { PACKAGE_NAME, VERSION } from "../../core/version.ts";
import { PYCLAW, runPyclaw } from "../_helpers/cli.ts";

// Commands that need no state of their own still get an empty one, never the user's ~/.pyclaw.
const scratchState = Deno.makeTempDirSync({ prefix: "pyclaw-cli-test-" });
globalThis.addEventListener("unload", () => Deno.removeSync(scratchState, { recursive: true }));

function pyclaw(args: string[], env: Record<string, string> = {}) {
  const { PYCLAW_STATE_DIR: stateDir = scratchState, ...rest } = env;
  return runPyclaw(args, { stateDir, env: rest });
}

Deno.test("pyclaw --version prints the version that package.json declares", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(new URL("../../package.json", import.meta.url)));
  assertEquals(pkg.version, VERSION);
  assertEquals(pkg.name, PACKAGE_NAME);
  const result = await pyclaw(["--version"]);
  assertEquals(result.code, 0);
  assertEquals(result.stdout.trim(), VERSION);
});

Deno.test("gateway call: result on success, code and exit 1 on failure, exit 2 on bad --params", async () => {
  await using gw = await startTestGateway();
  const common = ["--url", gw.url, "--token", gw.token!];
  const ok = await pyclaw(["gateway", "call", "health", "--params", "{}", ...common]);
  assertEquals(ok.code, 0, ok.stderr);
  assertEquals(JSON.parse(ok.stdout).status, "ok");
  const unknown = await pyclaw(["gateway", "call", "no.such", ...common]);
  assertEquals(unknown.code, 1);
  assertMatch(unknown.stderr, /METHOD_NOT_FOUND/);
  const badToken = await pyclaw(["gateway", "call", "health", "--url", gw.url, "--token", "wrong"]);
  assertEquals(badToken.code, 1);
  assertMatch(badToken.stderr, /AUTH_REQUIRED/);
  const badJson = await pyclaw(["gateway", "call", "health", "--params", "{nope", ...common]);
  assertEquals(badJson.code, 2);
  assertMatch(badJson.stderr, /INVALID_PARAMS/);
  const badParams = await pyclaw([
    "gateway",
    "call",
    "system.logs",
    "--params",
    '{"lines":"x"}',
    ...common,
  ]);
  assertEquals(badParams.code, 1);
  assertMatch(badParams.stderr, /INVALID_PARAMS/);
});

Deno.test("gateway call: a locked-out client is told how long to wait", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { limits: { authFailuresPerMinute: 1, exemptLoopback: false } } },
  });
  const wrong = await pyclaw(["gateway", "call", "health", "--url", gw.url, "--token", "wrong"]);
  assertMatch(wrong.stderr, /AUTH_REQUIRED/);
  const locked = await pyclaw(["gateway", "call", "health", "--url", gw.url, "--token", gw.token!]);
  assertEquals(locked.code, 1);
  assertMatch(locked.stderr, /RATE_LIMITED: .*\(try again in \d+ s\)/);
});

Deno.test("gateway probe and status: exit 0 against a gateway, 1 against nothing", async () => {
  await using gw = await startTestGateway();
  const probe = await pyclaw(["gateway", "probe", "--url", gw.url, "--token", gw.token!, "--json"]);
  assertEquals(probe.code, 0, probe.stderr);
  const result = JSON.parse(probe.stdout);
  assertEquals(result.ok, true);
  assertEquals(result.protocol, 3);
  const status = await pyclaw([
    "gateway",
    "status",
    "--deep",
    "--json",
    "--url",
    gw.url,
    "--token",
    gw.token!,
  ], {
    PYCLAW_STATE_DIR: gw.stateDir,
  });
  assertEquals(status.code, 0, status.stderr);
  const parsed = JSON.parse(status.stdout);
  assertEquals(parsed.probe.ok, true);
  assert(parsed.deep["system.info"].platform, JSON.stringify(parsed.deep["system.info"]));
  assert(
    Array.isArray(parsed.deep["doctor.run"].checks),
    JSON.stringify(parsed.deep["doctor.run"]),
  );
  // Presence lists the webchat channel after the clients; only clients have a name to print.
  const human = await pyclaw(
    ["gateway", "status", "--deep", "--url", gw.url, "--token", gw.token!],
    {
      PYCLAW_STATE_DIR: gw.stateDir,
    },
  );
  assertEquals(human.code, 0, human.stderr);
  assertMatch(human.stdout, /^Clients {2}1: pyclaw-cli\/\S+$/m);
  assertMatch(human.stdout, /^Doctor {3}\d+ ok, \d+ warn, \d+ fail$/m);
  const dead = await pyclaw(["gateway", "probe", "--url", "ws://127.0.0.1:9", "--timeout", "2000"]);
  assertEquals(dead.code, 1);
  assertMatch(dead.stderr, /FAILED/);
  const noProbe = await pyclaw(["gateway", "status", "--no-probe", "--json"], {
    PYCLAW_STATE_DIR: gw.stateDir,
  });
  assertEquals(noProbe.code, 0);
  assertEquals(JSON.parse(noProbe.stdout).probe, undefined);
});

Deno.test("the local CLI finds the generated token file on its own", async () => {
  await using gw = await startTestGateway({ authToken: null });
  const call = await pyclaw(["gateway", "call", "health", "--url", gw.url], {
    PYCLAW_STATE_DIR: gw.stateDir,
  });
  assertEquals(call.code, 0, call.stderr);
});

Deno.test("doctor: exit 0 on a good setup, 1 with the key path on an invalid config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = await pyclaw(["doctor", "--json"], { PYCLAW_STATE_DIR: dir });
    assertEquals(good.code, 0, good.stdout + good.stderr);
    assertEquals(JSON.parse(good.stdout).summary.fail, 0);
    // No file: nothing was validated, and a new user is told the defaults apply.
    const config = JSON.parse(good.stdout).checks.find((c: { id: string }) =>
      c.id === "config.valid"
    );
    assertMatch(config.message, /pyclaw\.json does not exist: the defaults are in use/);
    await Deno.writeTextFile(`${dir}/pyclaw.json`, '{ gateway: { port: "high" } }');
    const bad = await pyclaw(["doctor"], { PYCLAW_STATE_DIR: dir });
    assertEquals(bad.code, 1);
    assertMatch(bad.stdout, /gateway\.port/);
    await Deno.writeTextFile(`${dir}/pyclaw.json`, '{ gateway: { bind: "lan" } }');
    const exposed = await pyclaw(["doctor", "--json"], { PYCLAW_STATE_DIR: dir });
    assertEquals(exposed.code, 1);
    const auth = JSON.parse(exposed.stdout).checks.find((c: { id: string }) =>
      c.id === "gateway.auth"
    );
    assertEquals(auth.status, "fail");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("gateway run: prints one ready line, refuses unsafe or invalid setups, stops on SIGTERM", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // An invalid config: exit 1 naming the key.
    await Deno.writeTextFile(`${dir}/pyclaw.json`, "{ gateway: { port: -5 } }");
    const invalid = await pyclaw(["gateway", "run"], { PYCLAW_STATE_DIR: dir });
    assertEquals(invalid.code, 1);
    assertMatch(invalid.stderr, /gateway\.port/);
    // A LAN bind without a token: refused with advice.
    await Deno.writeTextFile(`${dir}/pyclaw.json`, "{}");
    const lan = await pyclaw(["gateway", "run", "--bind", "lan", "--port", "0"], {
      PYCLAW_STATE_DIR: dir,
    });
    assertEquals(lan.code, 1);
    assertMatch(lan.stderr, /PYCLAW_AUTH_TOKEN/);

    const child = new Deno.Command(PYCLAW, {
      args: ["gateway", "run", "--port", "0"],
      env: { PYCLAW_STATE_DIR: dir, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      out += value;
    }
    assertMatch(
      out,
      /^pyclaw gateway ready: ws:\/\/127\.0\.0\.1:\d+, HTTP http:\/\/127\.0\.0\.1:\d+ /,
    );
    assertMatch(out, /auth token generated into .*gateway\.token/);
    const token = (await Deno.readTextFile(`${dir}/gateway.token`)).trim();
    assert(!out.includes(token), "the token itself is never printed");
    child.kill("SIGTERM");
    const status = await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
    assertEquals(status.code, 0);
    const log = await Deno.readTextFile(`${dir}/logs/pyclaw.log`);
    assert(
      log.split("\n").filter(Boolean).every((line) => typeof JSON.parse(line).msg === "string"),
    );
    assertMatch(log, /"msg":"stopped"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
