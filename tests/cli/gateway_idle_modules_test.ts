/**
 * @module What an idle gateway has loaded (issue 17, idle memory), seen in a real gateway
 * process through its V8 inspector: started from its start memo, it listens, serves and idles
 * without any npm package (zod, the JSON5 parser) and without Deno's Node timers (the global
 * `setTimeout`'s, core/web_timeout.ts), and loads zod with the first `connect`. The
 * static graph check (tests/scripts/startup_graph_test.ts) cannot see modules imported by URL
 * or by a name built at run time. Counted in modules, never in bytes or milliseconds.
 */

import { join } from "node:path";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { runPyclaw } from "../_helpers/cli.ts";
import { inspectedGateway, scriptsOf } from "../_helpers/inspected_gateway.ts";
import { freePort } from "../_helpers/net.ts";
import { listenedBy, startupCollections } from "../_helpers/memo_gateway.ts";

/** How many times the gateways on `stateDir` have logged their start-up collection. */
const collections = async (stateDir: string) => (await startupCollections(stateDir)).length;

const npmPackages = (modules: string[]) => modules.filter((m) => m.startsWith("node_modules/"));

Deno.test("a gateway started from its start memo idles without zod, JSON5 or Node's timers, and loads zod with the first connect", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-idle-modules-" });
  const port = freePort();
  // Plain JSON, read at start without the JSON5 package (the next test's file is JSON5).
  await Deno.writeTextFile(
    join(stateDir, "pyclaw.json"),
    JSON.stringify({
      gateway: { port, http: { port: false } },
      logging: { consoleLevel: "silent", level: "debug" },
      models: { providers: { fake: { baseUrl: "http://127.0.0.1:9/v1", apiKey: "sk-idle" } } },
    }),
  );
  try {
    // The first start validates the config (zod loads) and remembers it.
    const first = await inspectedGateway(stateDir);
    const firstModules = await scriptsOf(first.inspectorUrl);
    const validated = await firstModules.modules();
    firstModules.close();
    await first.stop();
    // The list sees npm packages: the validating start loaded zod.
    assert(validated.some((m) => m.startsWith("node_modules/zod/")), validated.join("\n"));

    const collectedBefore = await collections(stateDir);
    const gateway = await inspectedGateway(stateDir);
    const inspector = await scriptsOf(gateway.inspectorUrl);
    try {
      const atReady = await inspector.modules();
      assert(atReady.includes("server/gateway.ts"), atReady.join("\n"));
      assertEquals(npmPackages(atReady), []);
      assertEquals(await listenedBy(stateDir), ["validated config", "start memo"]);
      // Idle: after the ready line the gateway probes its sandbox and, once quiet, collects its
      // start-up garbage (core/idle_gc.ts; it gives up after 30 s on a busy machine).
      const deadline = Date.now() + 35_000;
      while ((await collections(stateDir)) === collectedBefore && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assertEquals(npmPackages(await inspector.modules()), []);
      const runtime = await inspector.runtimeModules();
      assert(runtime.includes("ext:deno_http/00_serve.ts"), runtime.join("\n"));
      assertEquals(
        runtime.filter((m) => m === "node:timers" || m.includes("/internal/timers")),
        [],
      );

      const token = (await Deno.readTextFile(join(stateDir, "gateway.token"))).trim();
      const url = `ws://127.0.0.1:${port}`;
      const health = await runPyclaw(
        ["gateway", "call", "health", "--url", url, "--token", token],
        {
          stateDir,
        },
      );
      assertEquals(health.code, 0, health.stderr);
      const connected = await inspector.modules();
      assert(connected.some((m) => m.startsWith("node_modules/zod/")), connected.join("\n"));
    } finally {
      inspector.close();
      await gateway.stop();
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("a gateway started from its start memo of a JSON5 config loads the JSON5 parser but not zod", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-idle-modules-" });
  await Deno.writeTextFile(
    join(stateDir, "pyclaw.json"),
    `// JSON5: a comment and unquoted keys\n{ gateway: { port: ${freePort()}, http: { port: false } },` +
      ` logging: { consoleLevel: "silent" } }\n`,
  );
  try {
    await (await inspectedGateway(stateDir)).stop();
    const gateway = await inspectedGateway(stateDir);
    const inspector = await scriptsOf(gateway.inspectorUrl);
    try {
      const packages = npmPackages(await inspector.modules());
      assertEquals(packages, ["node_modules/json5/dist/index.mjs"]);
      assertEquals(await listenedBy(stateDir), ["validated config", "start memo"]);
    } finally {
      inspector.close();
      await gateway.stop();
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});
