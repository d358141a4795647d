import { assert, assertEquals } from "../../_helpers/assert.ts";
import { validateConfig } from "../../../core/config/load.ts";
import { statePaths } from "../../../core/paths.ts";
import {
  checkDiskSpace,
  checkGatewayReachable,
  checkLocalRuntime,
} from "../../../agent/doctor/runtime_checks.ts";
import { startTestGateway } from "../../_helpers/gateway.ts";
import { Logger } from "../../../core/logger.ts";
import { openFront } from "../../../server/front.ts";
import { claimStateDir } from "../../../core/state_owner.ts";

function input(port: number, root: string) {
  const { config } = validateConfig({ gateway: { port } }, {});
  return { configPath: `${root}/pyclaw.json`, config, paths: statePaths(root), env: {} };
}

/** Records `port` as where the gateway of `root` listens, as `gateway run` does. */
async function ownStateDir(root: string, port: number) {
  const claim = await claimStateDir(root);
  await claim.record({
    url: `ws://127.0.0.1:${port}`,
    port,
    bind: "127.0.0.1",
    configPath: `${root}/pyclaw.json`,
  });
  return claim;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("doctor gateway check: ok when the state dir's gateway answers where it recorded, whatever the config's port", async () => {
  await using gw = await startTestGateway();
  const claim = await ownStateDir(gw.stateDir, gw.gateway.port);
  try {
    const up = await checkGatewayReachable(input(freePort(), gw.stateDir));
    assertEquals(up.status, "ok", up.message);
    assert(up.message.includes(`:${gw.gateway.port}/health`), up.message);
  } finally {
    claim.release();
  }
});

Deno.test("doctor gateway check: a gateway of another state dir on the configured port is not this one", async () => {
  await using gw = await startTestGateway();
  const root = await Deno.makeTempDir();
  try {
    const other = await checkGatewayReachable(input(gw.gateway.port, root));
    assertEquals(other.status, "warn");
    assert(other.message.includes("uses another state dir"), other.message);
    const down = await checkGatewayReachable(input(freePort(), root));
    assertEquals(down.status, "warn");
    assert(down.message.startsWith("No gateway runs on this state dir"), down.message);
    assert(down.hint?.includes("pyclaw gateway run"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("doctor gateway check: a gateway still loading its runtime is reported as starting", async () => {
  // What `gateway run` listens with before the runtime has loaded (server/front.ts).
  const logger = new Logger({ consoleLevel: "silent" });
  const front = await openFront({ hostname: "127.0.0.1", port: 0, httpPort: false, logger });
  const root = await Deno.makeTempDir();
  const claim = await ownStateDir(root, front.listeners.port);
  try {
    const check = await checkGatewayReachable(input(18789, root));
    assertEquals(check.status, "ok");
    assert(check.message.endsWith("is starting"), check.message);
  } finally {
    claim.release();
    await front.listeners.shutdown(1_000);
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("doctor gateway check: a running gateway slow to answer is said to be running, not to need a restart", async () => {
  // Accepts connections and never answers, as a gateway busy on a stalled event loop.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  const root = await Deno.makeTempDir();
  const claim = await ownStateDir(root, port);
  try {
    const check = await checkGatewayReachable(input(freePort(), root));
    assertEquals(check.status, "warn");
    assertEquals(
      check.message,
      `The gateway of this state dir (pid ${Deno.pid}, running: it holds the state dir's lock) ` +
        `did not answer http://127.0.0.1:${port}/health within 1.5 s`,
    );
    assert(check.hint?.startsWith("It may be busy: run pyclaw doctor again"), check.hint);
  } finally {
    claim.release();
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("doctor gateway check: a running gateway that refuses connections is told apart", async () => {
  const root = await Deno.makeTempDir();
  const port = freePort();
  const claim = await ownStateDir(root, port);
  try {
    const check = await checkGatewayReachable(input(freePort(), root));
    assertEquals(check.status, "warn");
    assert(check.message.endsWith(`refuses connections at http://127.0.0.1:${port}/health`));
    assert(check.hint?.includes("pyclaw gateway restart"), check.hint);
  } finally {
    claim.release();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("doctor disk check reports the free space of the state dir's disk", async () => {
  const root = await Deno.makeTempDir();
  try {
    const check = await checkDiskSpace(input(18789, `${root}/not-created-yet`));
    assert(["ok", "warn", "fail"].includes(check.status));
    assert(/GiB free/.test(check.message), check.message);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("doctor runtime check loads node-llama-cpp's prebuilt library", async () => {
  const root = await Deno.makeTempDir();
  try {
    const check = await checkLocalRuntime(input(18789, root));
    assertEquals(check.status, "ok", check.message);
    // Inside a gateway without local models it stays unloaded.
    const idle = await checkLocalRuntime({ ...input(18789, root), activeAuth: { mode: "token" } });
    assertEquals(idle.status, "ok");
    assert(idle.message.startsWith("Not loaded"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
