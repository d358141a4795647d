/**
 * @module Benchmark of what a gateway keeps resident once a busy spell is over (issue 17, idle
 * RSS, for a gateway that lives for months rather than one just started): a gateway's RSS idle
 * after start, at the end of each round of load (`/v1` requests whole and streamed, and
 * `chat.send` turns over 20 sessions), and then while it idles, until the collection after work
 * (core/idle_gc.ts `collectAfterWork`, which looks every 30 s) has run or 75 s have passed.
 * Prints the collection's log entry, where the gateway wrote one. `--tree DIR` measures another
 * checkout (a `git archive` copy), to compare before and after.
 *
 * Usage: node_modules/.bin/deno run -A scripts/bench/after_load.ts [--rounds 2] [--tree DIR]
 */

import { join } from "node:path";
import {
  atInterrupt,
  flag,
  machine,
  nonStreaming,
  printTable,
  rssMb,
  sleep,
  spawnGateway,
  startFakeUpstream,
  stopTree,
  streaming,
  treeFlag,
  wsSession,
} from "./_common.ts";
import { start } from "./_starts.ts";

const ROUNDS = flag("rounds", 2);
const REQUESTS = 3_000;
const TURNS = 300;
const IDLE_S = 75;
const tree = treeFlag();
const TOKEN = "bench-token-0123456789abcdef";

const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-after-load-" });
atInterrupt(() => Deno.removeSync(stateDir, { recursive: true }));
const upstream = await startFakeUpstream(20);

/** A gateway's RSS in MB, and how much of it is anonymous memory (not the binary's pages). */
function resident(pid: number): { rss: number; anon: number } {
  const rollup = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  const anonKb = Number(rollup.match(/^Anonymous:\s+(\d+)/m)?.[1] ?? 0);
  return { rss: rssMb(pid).main, anon: anonKb / 1024 };
}

const logFile = join(stateDir, "logs", "pyclaw.log");
/** The log entry of the collection after work, once the gateway has written it. */
const collection = async () =>
  (await Deno.readTextFile(logFile).catch(() => "")).split("\n")
    .find((line) => line.includes('"garbage collected after work"'));

/**
 * The table's rows, what the gateway (`pid`, listening on `port`) keeps resident at each point,
 * and the collection's log entry if it came.
 */
async function measure(pid: number, port: number) {
  const rows: string[][] = [];
  const note = (label: string) => {
    const { rss, anon } = resident(pid);
    rows.push([label, rss.toFixed(1), anon.toFixed(1)]);
    console.error(`… ${label}: ${rss.toFixed(1)} MB (anonymous ${anon.toFixed(1)})`);
  };
  // Idle after start: the start-up collection has run by then (it waits for quiet).
  await sleep(5_000);
  note("idle after start");
  const target = {
    base: `http://127.0.0.1:${port}/v1`,
    headers: { authorization: `Bearer ${TOKEN}` },
    model: "gpt-test",
  };
  const { socket, call } = await wsSession(`ws://127.0.0.1:${port}`, {
    minProtocol: 3,
    maxProtocol: 3,
    auth: { token: TOKEN },
  });
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      for (let i = 0; i < REQUESTS; i++) {
        await nonStreaming(target);
        await streaming(target);
      }
      for (let i = 0; i < TURNS; i++) {
        const reply = await call("chat.send", {
          message: `Turn ${i}`,
          sessionId: `load-${i % 20}`,
        });
        if (!reply.ok) throw new Error(`chat.send failed: ${JSON.stringify(reply.error)}`);
      }
      note(`after round ${round} (${2 * REQUESTS} /v1, ${TURNS} turns)`);
    }
  } finally {
    socket.close();
  }
  const idleFrom = performance.now();
  let entry: string | undefined;
  for (const at of [10, 40, IDLE_S]) {
    // Up to `at` s of idling, or until the collection's entry, whichever comes first.
    while (performance.now() - idleFrom < at * 1_000 && !(entry = await collection())) {
      await sleep(500);
    }
    entry ??= await collection(); // written during the last wait
    if (entry) {
      // The entry is written once the trim is done.
      note(`idle, collected after work (${((performance.now() - idleFrom) / 1000).toFixed(0)} s)`);
      break;
    }
    note(`idle ${at} s`);
  }
  return { rows, entry };
}

let gateway: Deno.ChildProcess | undefined;
try {
  await Deno.writeTextFile(
    join(stateDir, "pyclaw.json"),
    JSON.stringify({
      gateway: {
        http: { port: false },
        limits: { requestsPerSecond: 100000, requestBurst: 100000 },
      },
      models: { providers: { fake: { baseUrl: upstream.url, models: [{ id: "gpt-test" }] } } },
      agents: { defaults: { model: "fake/gpt-test" } },
      // Debug: the collections' log entries.
      logging: { consoleLevel: "warn", level: "debug" },
      update: { enabled: false },
    }),
  );
  const started = await start(
    (port) => spawnGateway({ tree, port, token: TOKEN, stateDir }),
    { giveUpMs: 30_000 },
  ).catch((error) => {
    throw new Error(`the gateway of ${tree} did not start: ${error.message}`);
  });
  gateway = started.child;
  const { rows, entry } = await measure(gateway.pid, started.port);
  console.log(`bench:after-load ${tree} — ${new Date().toISOString()}`);
  console.log(`Machine: ${machine()}`);
  printTable(["gateway", "RSS (MB)", "anonymous (MB)"], rows);
  console.log(entry ? `collection after work: ${entry}` : "no collection after work was logged");
} finally {
  if (gateway) await stopTree(gateway);
  await upstream.stop();
  await Deno.remove(stateDir, { recursive: true });
}
