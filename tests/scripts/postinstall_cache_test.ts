/**
 * @module The install warms the Deno cache (package.json `postinstall`, issue 17): after it, a
 * gateway's first start, idle and first `connect` transpile nothing. Deno transpiles a module
 * the first time a process loads it and keeps the result in `DENO_DIR/gen`; a long-running
 * gateway that did it itself kept ~4-6 MB more resident for its whole life (docs/benchmarks.md),
 * and the first start after every install or upgrade did. Seen here as files: what the gateway
 * added under `gen` of a `DENO_DIR` of the test's own, never bytes or times.
 */

import { join } from "node:path";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { runPyclaw } from "../_helpers/cli.ts";
import { inspectedGateway } from "../_helpers/inspected_gateway.ts";
import { freePort } from "../_helpers/net.ts";
import { startupCollections } from "../_helpers/memo_gateway.ts";

const root = new URL("../../", import.meta.url).pathname;

/** Every file under `dir`, relative to it; none when it does not exist. */
async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (at: string) => {
    for await (const entry of Deno.readDir(join(dir, at))) {
      const path = join(at, entry.name);
      if (entry.isDirectory) await walk(path);
      else found.push(path);
    }
  };
  await walk("").catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  return found.sort();
}

/** Whether a gateway on `stateDir` has logged its start-up collection (it is idle then). */
const collected = async (stateDir: string) => (await startupCollections(stateDir)).length > 0;

Deno.test("after the install's postinstall, a gateway's first start, idle and first connect transpile nothing", async () => {
  const denoDir = await Deno.makeTempDir({ prefix: "pyclaw-deno-dir-" });
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-postinstall-" });
  const port = freePort();
  await Deno.writeTextFile(
    join(stateDir, "pyclaw.json"),
    JSON.stringify({
      gateway: { port, http: { port: false } },
      logging: { consoleLevel: "silent", level: "debug" },
    }),
  );
  try {
    const pkg = JSON.parse(await Deno.readTextFile(join(root, "package.json")));
    const postinstall = pkg.scripts?.postinstall;
    assert(typeof postinstall === "string", "package.json has no postinstall script");
    // As npm runs it: through a shell, in the package's folder.
    const install = await new Deno.Command("bash", {
      args: ["-c", postinstall],
      cwd: root,
      env: { DENO_DIR: denoDir },
    }).output();
    assertEquals(install.code, 0, new TextDecoder().decode(install.stderr));
    const warmed = await filesUnder(join(denoDir, "gen"));
    assert(
      warmed.some((file) => file.endsWith("server/gateway.ts.js")),
      `the postinstall left no transpiled gateway in ${denoDir}/gen:\n${warmed.join("\n")}`,
    );

    const gateway = await inspectedGateway(stateDir, { DENO_DIR: denoDir });
    try {
      // Idle: the ready line comes before the last steps load; the start-up collection comes
      // once all of them have (it gives up after 30 s on a busy machine).
      const deadline = Date.now() + 35_000;
      while (!(await collected(stateDir)) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const token = (await Deno.readTextFile(join(stateDir, "gateway.token"))).trim();
      const health = await runPyclaw(
        ["gateway", "call", "health", "--url", `ws://127.0.0.1:${port}`, "--token", token],
        { stateDir },
      );
      assertEquals(health.code, 0, health.stderr);
    } finally {
      await gateway.stop();
    }
    const transpiledByTheGateway = (await filesUnder(join(denoDir, "gen")))
      .filter((file) => !warmed.includes(file));
    // A module the gateway imports by a URL built at run time is not in main.ts's graph: make
    // it reachable from there (a type import does) so the postinstall transpiles it too.
    assertEquals(transpiledByTheGateway, []);
  } finally {
    await Deno.remove(stateDir, { recursive: true });
    await Deno.remove(denoDir, { recursive: true });
  }
});
