/**
 * @module The gateway gives back its start-up garbage once start-up has settled, and what a busy
 * spell grew once it is over (issue 17, idle RSS; core/idle_gc.ts): every way of launching it
 * passes the V8 flag those collections need, a gateway started through the real launcher runs
 * the start-up collection and logs it, and the collection after work runs when and only when it
 * should. Checked by what happened, not by timing; `npm run bench:quick` and `npm run
 * bench:after-load` measure the RSS itself.
 */

import { join } from "node:path";
import { assert, assertEquals, waitFor } from "../_helpers/assert.ts";
import { gatewayCommand } from "../../cli/gateway_service.ts";
import {
  type AfterWorkGcReport,
  collectAfterStartup,
  collectAfterWork,
  GATEWAY_V8_FLAGS,
  GLIBC_MALLOC_SYMBOLS,
  keepFreedMallocMemory,
  trimFreedMalloc,
} from "../../core/idle_gc.ts";
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
    // What stays resident after the trim is logged beside it.
    assert(entry.rssTrimmed! > 0, JSON.stringify(entry));
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
        JSON.stringify(join(root, "core/idle_gc.ts"))
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

/**
 * A collectAfterWork whose looks come every 10 ms and find `work.perLook` requests and frames
 * each, the resident size at `work.residentMb`, and a turn under way while `work.running`; a
 * stand-in for V8's gc() (this test process has no --expose-gc) counts the collections.
 */
function watchedWork(options: { quietUnits?: number } = {}) {
  const MB = 1 << 20;
  const work = {
    perLook: 0,
    residentMb: 70,
    running: false,
    looks: 0,
    collections: 0,
    reports: [] as AfterWorkGcReport[],
    /** Waits for `count` more looks. */
    async looksOn(count: number) {
      const until = work.looks + count;
      await waitFor(() => work.looks >= until || undefined, 20_000, `${count} looks`);
    },
    /** `count` looks that find `perLook` each, the resident size at `residentMb`. */
    async phase(perLook: number, residentMb: number, count: number) {
      work.perLook = perLook;
      work.residentMb = residentMb;
      await work.looksOn(count);
    },
    async until(collections: number) {
      await waitFor(() => work.collections === collections || undefined, 20_000, "a collection");
    },
  };
  const scope = globalThis as { gc?: unknown };
  const realGc = scope.gc;
  scope.gc = () => void work.collections++;
  let activity = 0;
  const stop = collectAfterWork({
    checkEveryMs: 10,
    quietUnits: options.quietUnits,
    minWork: 64,
    minGrowthBytes: 8 * MB,
    // Each look reads the activity first: the work is fed there, a look at a time.
    activity: () => (work.looks++, activity += work.perLook),
    busy: () => work.running,
    rss: () => work.residentMb * MB,
    onCollected: (report) => {
      work.reports.push(report);
      // The collection and malloc's trim gave memory back.
      work.residentMb = 58;
    },
  });
  return Object.assign(work, {
    [Symbol.dispose]() {
      stop();
      scope.gc = realGc;
    },
    stop,
  });
}

Deno.test("collectAfterWork collects once a busy spell is quiet, and again only after work that grew the resident size", async () => {
  const MB = 1 << 20;
  using work = watchedWork();
  // Quiet with no work behind it, at 60 MB (the start-up collection gave back 10 since watching
  // began at 70): nothing to give back.
  await work.phase(0, 60, 5);
  assertEquals(work.collections, 0, "collected with no work done");
  // A spell that grew the resident size by 4 MB over the 60 the quiet looks found: not worth a
  // collection's pause.
  await work.phase(20, 64, 5);
  await work.phase(0, 64, 5);
  assertEquals(work.collections, 0, "collected after a spell that grew 4 MB");
  // A busy spell that grows it to 69 MB, 9 over 60 (though under the 70 of when watching
  // began): never paused while it lasts.
  await work.phase(20, 69, 10);
  assertEquals(work.collections, 0, "collected during the spell");
  // A health poll a look is quiet: the spell is over, and one collection follows.
  work.perLook = 1;
  await work.until(1);
  assert(work.reports[0].work >= 300, JSON.stringify(work.reports[0]));
  assertEquals(work.reports[0].rssBefore, 69 * MB);
  await work.looksOn(5);
  assertEquals(work.collections, 1, "collected again with no new spell");
  // Grown again, but with no work since: nothing a collection would find.
  await work.phase(0, 90, 5);
  assertEquals(work.collections, 1, "collected again with no work since the last collection");
  // A second spell that left the resident size 4 MB over the 58 the collection left.
  await work.phase(20, 62, 5);
  await work.phase(0, 62, 5);
  assertEquals(work.collections, 1, "collected after a second spell that grew 4 MB");
  // A turn under way sends no frames: quiet, but no pause for it.
  work.running = true;
  await work.phase(0, 90, 5);
  assertEquals(work.collections, 1, "collected during a turn");
  work.running = false;
  await work.until(2);
  assertEquals(work.reports[1].rssBefore, 90 * MB);
  // Stopped: no look, no collection.
  work.stop();
  const after = work.looks;
  await new Promise((resolve) => setTimeout(resolve, 60));
  assertEquals(work.looks, after);
});

Deno.test("collectAfterWork finds a gateway quiet under a monitor's polls, and busy above them", async () => {
  // Six units a look: what one poll every 5 s comes to at the default 30 s between looks.
  using work = watchedWork({ quietUnits: 6 });
  await work.phase(20, 100, 5);
  // Seven a look is still work.
  await work.phase(7, 100, 10);
  assertEquals(work.collections, 0, "collected while seven units came a look");
  // Six a look (a monitor's poll every 5 s) do not hold the collection off.
  work.perLook = 6;
  await work.until(1);
});

Deno.test("collectAfterWork stops looking when stopped during a collection", async () => {
  const scope = globalThis as { gc?: unknown };
  const realGc = scope.gc;
  scope.gc = () => {};
  let looks = 0;
  let stop = () => {};
  try {
    let collected = false;
    stop = collectAfterWork({
      checkEveryMs: 10,
      minWork: 1,
      // Work before the first look, and none after: the second look collects (the first finds
      // the work), with the resident size grown since watching began.
      activity: () => looks++ ? 100 : 0,
      rss: () => (looks > 1 ? 100 : 50) << 20,
      // The gateway shutting down while the collection runs (its stop came meanwhile).
      onCollected: () => {
        collected = true;
        stop();
      },
    });
    await waitFor(() => collected || undefined, 20_000, "the collection");
    const after = looks;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assertEquals(looks, after, "looked again after the stop");
  } finally {
    stop();
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
