import { join } from "node:path";
import { assert, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { PYCLAW, runPyclaw } from "../_helpers/cli.ts";
import { freePort } from "../_helpers/net.ts";
import { launchdPlist, scheduledTaskXml, systemdUnit } from "../../cli/_service_units.ts";

/** A gateway that holds the state dir's lock and records itself when told (see the file). */
const STARTING_GATEWAY = new URL("./_starting_gateway.ts", import.meta.url).pathname;

const hasSystemdAnalyze = (() => {
  try {
    return new Deno.Command("systemd-analyze", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    })
      .outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test("pyclaw gateway install writes a systemd user unit that systemd-analyze accepts; uninstall removes it", async () => {
  const work = await Deno.makeTempDir({ prefix: "pyclaw-cli-service-" });
  const units = join(work, "units");
  const state = join(work, "state with space");
  try {
    const env = { PYCLAW_SERVICE_DIR: units };
    const installed = await runPyclaw(["gateway", "install", "--json"], { stateDir: state, env });
    assertEquals(installed.code, 0, installed.stderr);
    const result = JSON.parse(installed.stdout);
    assertEquals(result.started, false); // a custom unit folder: systemctl is not told
    const file = join(units, "pyclaw-gateway.service");
    assertEquals(result.unitFile, file);
    const unit = await Deno.readTextFile(file);
    assertMatch(
      unit,
      /^ExecStart=".*deno" "run" "--permission-set=pyclaw" .*"[^"]*main\.ts" "gateway" "run"$/m,
    );
    assertMatch(unit, new RegExp(`^Environment="PYCLAW_STATE_DIR=${state}"$`, "m"));
    assertMatch(unit, /^Restart=on-failure$/m);
    assertMatch(unit, /^WantedBy=default.target$/m);
    if (hasSystemdAnalyze) {
      const verify = await new Deno.Command("systemd-analyze", {
        args: ["verify", file],
        stderr: "piped",
      }).output();
      assertEquals(verify.code, 0, new TextDecoder().decode(verify.stderr));
    }

    const status = await runPyclaw(["gateway", "status", "--no-probe", "--json"], {
      stateDir: state,
      env,
    });
    const service = JSON.parse(status.stdout).service;
    assertEquals([service.manager, service.installed, service.unitFile], ["systemd", true, file]);
    const text = await runPyclaw(["gateway", "status", "--no-probe"], { stateDir: state, env });
    assertMatch(text.stdout, /^Service {2}systemd pyclaw-gateway\.service: installed/m);

    assertEquals((await runPyclaw(["gateway", "uninstall"], { stateDir: state, env })).code, 0);
    assertEquals(await Deno.stat(file).then(() => true, () => false), false);
    // Idempotent like `stop`: nothing installed is the state asked for.
    const again = await runPyclaw(["gateway", "uninstall"], { stateDir: state, env });
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stdout, /No service installed .*nothing to remove/);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("service files quote what each platform needs quoted", async () => {
  const spec = {
    command: ["/opt/my apps/deno", "run", "/srv/pyclaw/main.ts", "gateway", "run"],
    env: { PYCLAW_STATE_DIR: '/home/me/100% <state> & "more"', PATH: "/usr/bin:$HOME/bin" },
    workingDir: "/home/me/100% state",
    logFile: "/home/me/state/logs/gateway.out.log",
  };
  const unit = systemdUnit(spec);
  assertMatch(unit, /^ExecStart="\/opt\/my apps\/deno" "run"/m);
  assertMatch(unit, /^Environment="PYCLAW_STATE_DIR=\/home\/me\/100%% <state> & \\"more\\""$/m);
  assertMatch(unit, /^Environment="PATH=\/usr\/bin:\$\$HOME\/bin"$/m);
  assertMatch(unit, /^WorkingDirectory=\/home\/me\/100%% state$/m);
  if (hasSystemdAnalyze) {
    const dir = await Deno.makeTempDir();
    try {
      // ExecStart must exist for verify; point it at a real program.
      const file = join(dir, "pyclaw-gateway.service");
      await Deno.writeTextFile(file, unit.replace('"/opt/my apps/deno"', '"/bin/true"'));
      const verify = await new Deno.Command("systemd-analyze", {
        args: ["verify", file],
        stderr: "piped",
      }).output();
      assertEquals(verify.code, 0, new TextDecoder().decode(verify.stderr));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  const plist = launchdPlist(spec);
  assertMatch(plist, /<string>\/home\/me\/100% &lt;state&gt; &amp; &quot;more&quot;<\/string>/);
  assertMatch(plist, /<key>Label<\/key>\n {2}<string>ai\.pyclaw\.gateway<\/string>/);
  assertEquals(plist.match(/<string>/g)?.length, 5 + 2 + 1 + 2 + 1); // args, env, cwd, logs, label
  const task = scheduledTaskXml(spec);
  assertMatch(task, /<Command>cmd\.exe<\/Command>/);
  assertMatch(task, /&quot;\/opt\/my apps\/deno&quot; run/);
  assertMatch(task, /<LogonTrigger>/);
  assert(task.includes("\r\n"));
});

async function waitForHealth(port: number, up: boolean): Promise<void> {
  const healthy = () =>
    fetch(`http://127.0.0.1:${port}/health`).then(async (r) => {
      await r.body?.cancel();
      return r.ok;
    }, () => false);
  await waitFor(
    async () => (await healthy()) === up,
    30_000,
    `the gateway on ${port} to become ${up ? "healthy" : "unreachable"}`,
  );
}

function waitForPidFile(file: string): Promise<number> {
  return waitFor(
    async () => Number((await Deno.readTextFile(file).catch(() => "")).trim()),
    20_000,
    `a pid in ${file}`,
  );
}

Deno.test("pyclaw gateway stop and restart handle a gateway started by hand, through its pid file", async () => {
  const state = await Deno.makeTempDir({ prefix: "pyclaw-cli-stop-" });
  const port = freePort();
  await Deno.writeTextFile(
    join(state, "pyclaw.json"),
    JSON.stringify({
      gateway: { port, http: { port: false } },
      logging: { consoleLevel: "silent" },
    }),
  );
  const env = { PYCLAW_SERVICE_DIR: join(state, "units") };
  const gateway = new Deno.Command(PYCLAW, {
    args: ["gateway", "run"],
    env: { PYCLAW_STATE_DIR: state, NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForHealth(port, true);
    // The pid file is written just after the gateway starts listening.
    const pid = await waitForPidFile(join(state, "gateway.pid"));
    assert(pid > 0);
    const stopped = await runPyclaw(["gateway", "stop", "--json"], { stateDir: state, env });
    assertEquals(stopped.code, 0, stopped.stderr);
    assertEquals(JSON.parse(stopped.stdout), {
      stopped: true,
      via: "pid",
      message: `Stopped the gateway (pid ${pid})`,
    });
    assertEquals((await gateway.status).code, 0); // a clean shutdown on SIGTERM
    assertEquals(await Deno.stat(join(state, "gateway.pid")).then(() => true, () => false), false);
    const idle = await runPyclaw(["gateway", "stop"], { stateDir: state, env });
    assertEquals(idle.code, 0);
    assertMatch(idle.stdout, /No gateway is running/);

    const restarted = await runPyclaw(["gateway", "restart", "--json"], { stateDir: state, env });
    assertEquals(restarted.code, 0, restarted.stderr);
    const fresh = JSON.parse(restarted.stdout);
    assertEquals([fresh.restarted, fresh.started, fresh.wasRunning], [false, true, false]);
    await waitForHealth(port, true);
    const again = await runPyclaw(["gateway", "restart", "--json"], { stateDir: state, env });
    const second = JSON.parse(again.stdout);
    assertEquals([second.restarted, second.started, second.wasRunning], [true, true, true]);
    await waitForHealth(port, true);
  } finally {
    await runPyclaw(["gateway", "stop"], { stateDir: state, env });
    await waitForHealth(port, false);
    try {
      gateway.kill();
    } catch { /* already exited */ }
    await gateway.status;
    await Deno.remove(state, { recursive: true });
  }
});

Deno.test("pyclaw gateway restart fails, with the new gateway's own reason, when the gateway it started never gets ready", async () => {
  const other = await Deno.makeTempDir({ prefix: "pyclaw-cli-restart-other-" });
  const state = await Deno.makeTempDir({ prefix: "pyclaw-cli-restart-" });
  const env = { PYCLAW_SERVICE_DIR: join(state, "units") };
  const port = freePort();
  const config = (gateway: Record<string, unknown>) =>
    JSON.stringify({ gateway, logging: { consoleLevel: "silent" } });
  await Deno.writeTextFile(join(other, "pyclaw.json"), config({ port, http: { port: false } }));
  await Deno.writeTextFile(join(state, "pyclaw.json"), config({ port, http: { port: false } }));
  // Another state dir's gateway answers on the port this one's config names: its /health says
  // ok, but the gateway the restart started cannot listen there and exits.
  const occupant = new Deno.Command(PYCLAW, {
    args: ["gateway", "run"],
    env: { PYCLAW_STATE_DIR: other, NO_COLOR: "1" },
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitForHealth(port, true);
    const taken = await runPyclaw(["gateway", "restart", "--json"], { stateDir: state, env });
    assertEquals(taken.code, 1, taken.stdout);
    assertEquals(taken.stdout, "");
    assertMatch(taken.stderr, /exited with code 1 before it was ready/);
    assertMatch(taken.stderr, new RegExp(`Port ${port} \\(gateway\\.port\\) is in use`));

    // A config the gateway refuses: its validation error, not a wait for an answer.
    await Deno.writeTextFile(join(state, "pyclaw.json"), "{ gateway: { port: -5 } }");
    const invalid = await runPyclaw(["gateway", "restart"], { stateDir: state, env });
    assertEquals(invalid.code, 1, invalid.stdout);
    assertMatch(invalid.stderr, /exited with code 1 before it was ready/);
    assertMatch(invalid.stderr, /gateway\.port/);
  } finally {
    occupant.kill("SIGTERM");
    await occupant.status;
    await Deno.remove(other, { recursive: true });
    await Deno.remove(state, { recursive: true });
  }
});

Deno.test({
  name: "pyclaw gateway stop waits for a gateway that is still starting, then stops it",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const state = await Deno.makeTempDir({ prefix: "pyclaw-cli-stop-starting-" });
    const starting = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--no-lock", STARTING_GATEWAY, state],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const startingOut = starting.stdout.pipeThrough(new TextDecoderStream()).getReader();
    try {
      assertEquals((await startingOut.read()).value, "claimed\n");
      const stopper = new Deno.Command(PYCLAW, {
        args: ["gateway", "stop", "--json"],
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: Deno.env.get("HOME") ?? "/tmp",
          PYCLAW_STATE_DIR: state,
          PYCLAW_SERVICE_DIR: join(state, "units"),
          NO_COLOR: "1",
        },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stdout = new Response(stopper.stdout).text();
      const stderr = stopper.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let said = "";
      // Before it answered at once that no gateway ran, and the gateway went on starting.
      while (!said.includes("waiting to stop it")) {
        const { value, done } = await stderr.read();
        if (done) throw new Error(`stop did not wait: ${said} ${await stdout}`);
        said += value;
      }
      // The gateway is ready: it records itself, and the waiting stop finds it.
      const writer = starting.stdin.getWriter();
      await writer.write(new TextEncoder().encode("ready\n"));
      await writer.close();
      assertEquals((await stopper.status).code, 0, said);
      assertEquals(JSON.parse(await stdout), {
        stopped: true,
        via: "pid",
        message: `Stopped the gateway (pid ${starting.pid})`,
      });
      assertEquals((await starting.status).code, 0);
      await stderr.cancel();
    } finally {
      try {
        starting.kill("SIGKILL");
      } catch { /* stopped */ }
      await starting.status;
      await startingOut.cancel().catch(() => {});
      await Deno.remove(state, { recursive: true });
    }
  },
});
