/**
 * @module The gateway gives back its start-up garbage once start-up has settled (issue 17, idle
 * RSS; core/startup_gc.ts): every way of launching it passes the V8 flag that collection needs,
 * and a gateway started through the real launcher runs the collection and logs it. Checked by
 * what happened, not by timing; `npm run bench:quick` measures the RSS itself.
 */

import { join } from "node:path";
import { assert, assertEquals, waitFor } from "../_helpers/assert.ts";
import { gatewayCommand } from "../../cli/gateway_service.ts";
import {
  collectAfterStartup,
  GATEWAY_V8_FLAGS,
  GLIBC_MALLOC_SYMBOLS,
  keepFreedMallocMemory,
  trimFreedMalloc,
} from "../../core/startup_gc.ts";
import { startGatewayProcess, writeConfig } from "../reliability/_gateway_process.ts";
import { startupCollections } from "../_helpers/memo_gateway.ts";
import { startTestGateway } from "../_helpers/gateway.ts";
import { gatewayActivity } from "../../cli/gateway_serve.ts";

const root = new URL("../..", import.meta.url).pathname;
/**
 * This machine's libc is glibc on Linux (what keepFreedMallocMemory tunes). Told by a symbol
 * only glibc has: musl answers a dlopen of libc.so.6 with itself, and has a mallopt that does
 * nothing.
 */
const glibc = Deno.build.os === "linux" && (() => {
  try {
    Deno.dlopen("libc.so.6", {
      gnu_get_libc_version: { parameters: [], result: "pointer" },
    }).close();
    return true;
  } catch {
    return false;
  }
})();

/** Every `--v8-flags=...` argument in a shell script, comments left out. */
async function v8FlagsIn(path: string): Promise<string[]> {
  const text = (await Deno.readTextFile(join(root, path))).replace(/^\s*#.*$/gm, "");
  return [...text.matchAll(/--v8-flags=\S+/g)].map((match) => match[0]);
}

Deno.test("the launcher, the service unit and scripts/compile.sh pass the same V8 flags", async () => {
  assertEquals(await v8FlagsIn("scripts/pyclaw"), [GATEWAY_V8_FLAGS]);
  assertEquals(await v8FlagsIn("scripts/compile.sh"), [GATEWAY_V8_FLAGS]);
  const unit = gatewayCommand();
  assertEquals(unit.filter((arg) => arg.startsWith("--v8-flags")), [GATEWAY_V8_FLAGS]);
  // Deno reads its own flags only before the script's path.
  assert(unit.indexOf(GATEWAY_V8_FLAGS) < unit.findIndex((arg) => arg.endsWith("main.ts")));
});

Deno.test("a gateway started through the launcher collects its start-up garbage once", async () => {
  const state = await Deno.makeTempDir({ prefix: "pyclaw-startup-gc-" });
  await writeConfig(state, { logging: { level: "debug", consoleLevel: "error" } });
  const gateway = await startGatewayProcess(state);
  try {
    const logFile = join(state, "logs", "pyclaw.log");
    const collected = () => startupCollections(state);
    const [entry] = await waitFor(
      async () => (await collected()).length ? await collected() : undefined,
      // The collection waits for the heap to go quiet and gives up after 30 s (a loaded machine
      // stretches the start's background work).
      30_000,
      "the start-up collection's log line",
    );
    // Start-up leaves garbage behind (the config parse, module evaluation): a collection that
    // ran frees some of it.
    assert(entry.heapUsedAfter < entry.heapUsedBefore, JSON.stringify(entry));
    assert(entry.rssBefore > 0 && entry.rssAfter > 0);
    // It counted the requests the gateway's listeners took (the health polls that waited for it
    // to start, at least): a flow of them holds the collection back.
    assert(entry.activity >= 1, JSON.stringify(entry));
    // And malloc's heap, which now keeps freed memory, gave start-up's back.
    assertEquals(entry.trimmed, glibc);
    // Once only: the health polls since start did not schedule another.
    await fetch(`${gateway.httpUrl}/health`).then((response) => response.body?.cancel());
    assertEquals((await collected()).length, 1);
    // glibc's malloc keeps a turn's freed memory (the launcher's permission set allows the FFI
    // call that says so), logged before the collection.
    const log = await Deno.readTextFile(logFile);
    const malloc = log.split("\n").find((line) => line.includes('"malloc keeps freed memory"'));
    assertEquals(malloc && JSON.parse(malloc).set, glibc);
  } finally {
    await gateway.stop();
    await Deno.remove(state, { recursive: true });
  }
});

Deno.test("keepFreedMallocMemory and trimFreedMalloc call glibc, and without the FFI permission do nothing", async () => {
  assertEquals(await keepFreedMallocMemory(), glibc);
  assertEquals(await trimFreedMalloc(), glibc);
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-malloc-" });
  try {
    const script = join(dir, "probe.ts");
    await Deno.writeTextFile(
      script,
      `import { keepFreedMallocMemory, trimFreedMalloc } from ${
        JSON.stringify(join(root, "core/startup_gc.ts"))
      };\n` +
        "console.log(await keepFreedMallocMemory(), await trimFreedMalloc());\n",
    );
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-lock", "--no-prompt", `--allow-read=${root},${dir}`, script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(new TextDecoder().decode(output.stdout).trim(), "false false");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the glibc calls are nonblocking symbols, which Deno builds no JIT trampoline for", () => {
  // A synchronous symbol's fast-call trampoline (Cranelift) stayed resident: ~1.4 MB idle RSS.
  assertEquals(
    Object.entries(GLIBC_MALLOC_SYMBOLS).filter(([, symbol]) => !symbol.nonblocking),
    [],
  );
});

Deno.test("the start-up collection waits while requests keep coming, however still the heap reads", async () => {
  // A stand-in for V8's gc(): this test process has no --expose-gc.
  const scope = globalThis as { gc?: unknown };
  const realGc = scope.gc;
  let collections = 0;
  scope.gc = () => void collections++;
  // Requests that keep coming: each look finds five more than the one before (a flow; one a
  // look is a poll, which does not hold the collection back).
  let busy = true;
  let requests = 0;
  let cancel = () => {};
  try {
    cancel = collectAfterStartup({
      checkEveryMs: 20,
      // Every look finds the heap still: only the requests can hold the collection back.
      quietBytes: Number.MAX_SAFE_INTEGER,
      activity: () => busy ? (requests += 5) : requests,
    });
    // Ten looks, or a collection (which ends the looks): the assertion says which.
    await waitFor(() => requests > 50 || collections > 0 || undefined, 20_000, "ten looks");
    assertEquals(collections, 0, "collected while requests kept coming");
    busy = false;
    await waitFor(() => collections === 1 || undefined, 20_000, "the collection once quiet");
    // Once: it does not look again after collecting.
    await new Promise((resolve) => setTimeout(resolve, 100));
    assertEquals(collections, 1);
  } finally {
    cancel();
    scope.gc = realGc;
  }
});

Deno.test("the activity the start-up collection watches counts a gateway's frames and requests", async () => {
  await using test = await startTestGateway();
  // The front's requests (a count of its own, tested in tests/server/front_test.ts).
  const front = { requests: 5 };
  const activity = gatewayActivity(front, test.gateway);
  const client = await test.connect();
  const before = activity();
  assert(before >= 6, "the connect frame and the front's requests count");
  await client.request("health");
  await client.request("health");
  assertEquals(activity() - before, 2);
  front.requests++;
  assertEquals(activity() - before, 3);
  // A gateway that opened its own listeners has no front: its frames still count.
  assertEquals(gatewayActivity(undefined, test.gateway)(), test.gateway.framesReceived);
});
