/**
 * @module `pyclaw gateway restart` of a gateway started by hand (cli/gateway_stop_restart.ts):
 * it comes back with the `--port`, `--bind` and `--auth-token` it was started with and on its
 * own config file, while what came from the config follows the config as it is now.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { PYCLAW, runPyclaw } from "../_helpers/cli.ts";
import { freePort } from "../_helpers/net.ts";
import { restartPlan } from "../../cli/gateway_stop_restart.ts";

/** A second loopback address: Linux answers on all of 127.0.0.0/8, other systems may not. */
const OTHER_LOOPBACK = "127.0.0.2";

async function healthy(host: string, port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://${host}:${port}/health`);
    return (await response.json())?.status === "ok";
  } catch {
    return false;
  }
}

async function record(state: string): Promise<Record<string, unknown> | undefined> {
  const text = await Deno.readTextFile(join(state, "gateway.json")).catch(() => "");
  return text ? JSON.parse(text) : undefined;
}

Deno.test({
  name:
    "pyclaw gateway restart starts a hand-started gateway again with its --port, --bind and --auth-token, on its config file, taking the rest from that file as it is now",
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const state = await Deno.makeTempDir({ prefix: "pyclaw-cli-restart-flags-" });
    const configFile = join(state, "elsewhere", "gateway-config.json");
    await Deno.mkdir(join(state, "elsewhere"));
    const [configPort, flagPort, httpPort] = [freePort(), freePort(), freePort()];
    const writeConfig = (http: number | false) =>
      Deno.writeTextFile(
        configFile,
        JSON.stringify({
          gateway: { port: configPort, http: { port: http } },
          logging: { consoleLevel: "silent" },
        }),
      );
    await writeConfig(false);
    const token = "restart-test-token-0123456789";
    const gateway = new Deno.Command(PYCLAW, {
      args: [
        "gateway",
        "run",
        "--port",
        String(flagPort),
        "--bind",
        OTHER_LOOPBACK,
        "--auth-token",
        token,
      ],
      env: { PYCLAW_STATE_DIR: state, PYCLAW_CONFIG_PATH: configFile, NO_COLOR: "1" },
      stdout: "null",
      stderr: "null",
    }).spawn();
    // The restarting shell has no PYCLAW_CONFIG_PATH: the gateway's own file must still be used.
    const env = { PYCLAW_SERVICE_DIR: join(state, "units") };
    try {
      const first = await waitFor(() => record(state), 30_000, "the gateway's record");
      assertEquals(first.flags, { port: flagPort, bind: OTHER_LOOPBACK, authToken: true });
      assert(await healthy(OTHER_LOOPBACK, flagPort));

      // The secret is not written down: without it the restart refuses and stops nothing.
      const refused = await runPyclaw(["gateway", "restart"], { stateDir: state, env });
      assertEquals(refused.code, 1, refused.stdout);
      assertMatch(refused.stderr, /started with --auth-token, which is not kept/);
      assertEquals((await record(state))?.pid, gateway.pid);
      assert(await healthy(OTHER_LOOPBACK, flagPort));

      // A setting from the config follows the config's change.
      await writeConfig(httpPort);
      const restarted = await runPyclaw(["gateway", "restart", "--auth-token", token, "--json"], {
        stateDir: state,
        env,
      });
      assertEquals(restarted.code, 0, restarted.stderr);
      const result = JSON.parse(restarted.stdout);
      assertEquals(result.wasRunning, true);
      assertEquals((await gateway.status).code, 0);
      const second = await waitFor(
        async () => {
          const now = await record(state);
          return now?.pid === result.pid ? now : undefined;
        },
        30_000,
        "the restarted gateway's record",
      );
      assertEquals(second.port, flagPort);
      assertEquals(second.bind, OTHER_LOOPBACK);
      assertEquals(second.configPath, configFile);
      assertEquals(second.httpUrl, `http://${OTHER_LOOPBACK}:${httpPort}`);
      assertEquals(second.flags, { port: flagPort, bind: OTHER_LOOPBACK, authToken: true });
      assert(await healthy(OTHER_LOOPBACK, flagPort));
      const models = (bearer: string) =>
        fetch(`http://${OTHER_LOOPBACK}:${httpPort}/v1/models`, {
          headers: { authorization: `Bearer ${bearer}` },
        }).then(async (response) => {
          await response.body?.cancel();
          return response.status;
        });
      assertEquals(await models(token), 200);
      assertEquals(await models("not-the-token"), 401);
    } finally {
      await runPyclaw(["gateway", "stop"], { stateDir: state, env });
      try {
        gateway.kill();
      } catch { /* already exited */ }
      await gateway.status;
      await Deno.remove(state, { recursive: true });
    }
  },
});

Deno.test("gateway restart restarts a running service, starts a stopped one, and leaves a hand-started gateway to the pid path", () => {
  const plan = (active: boolean | null, pid?: number, installed = true) =>
    restartPlan({ installed, active, pid });
  assertEquals(plan(true, 4242), { via: "service", wasRunning: true });
  // Installed but stopped: the manager starts it, and the answer says it was not running.
  assertEquals(plan(false), { via: "service", wasRunning: false });
  // Stopped while a gateway started by hand owns the state dir: that one is restarted.
  assertEquals(plan(false, 4242), { via: "pid" });
  // Not installed, or a manager that cannot be asked (a custom unit folder, no user bus).
  assertEquals(plan(null), { via: "pid" });
  assertEquals(plan(false, undefined, false), { via: "pid" });
});
