/**
 * @module Benchmark of the latency pyclaw and the Portkey gateway add to `/v1/chat/completions`,
 * side by side in one run against a direct call to the same stand-in OpenAI upstream: the same
 * request body to all three, non-streaming round trips, and streaming time to the first content
 * chunk and to the end. Requests interleave (direct, pyclaw, Portkey, in a rotating order) so
 * drift in the machine's load hits all alike; each round yields p50/p99 and the table holds
 * medians over the rounds. Upstream, gateways and client are separate processes; Portkey and the
 * Node it runs on are installed on demand into ~/.cache/pyclaw-bench (scripts/bench/_peers.ts).
 *
 * Usage: node_modules/.bin/deno run -A scripts/bench/vs_portkey.ts [--rounds 5]
 *        [--requests 200] [--chunks 20]
 */

import {
  atInterrupt,
  type ChatTarget,
  flag,
  freePort,
  machine,
  median,
  nonStreaming,
  percentile,
  printTable,
  rssMb,
  sleep,
  spawnGateway,
  startFakeUpstream,
  stopTree,
  streaming,
  track,
} from "./_common.ts";
import { ensurePeer, PEERS } from "./_peers.ts";

const ROUNDS = flag("rounds", 5);
const REQUESTS = flag("requests", 200);
const CHUNKS = flag("chunks", 20);
const TOKEN = "bench-token-0123456789abcdef";

const node = await ensurePeer("node24");
const portkeyEntry = await ensurePeer("portkey", node);
const upstream = await startFakeUpstream(CHUNKS);
const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-bench-portkey-" });
atInterrupt(() => Deno.removeSync(stateDir, { recursive: true }));
await Deno.writeTextFile(
  `${stateDir}/pyclaw.json`,
  JSON.stringify({
    gateway: {
      http: { port: false },
      limits: { requestsPerSecond: 100000, requestBurst: 100000, maxConnectionsPerAddress: 1000 },
    },
    models: { providers: { fake: { baseUrl: upstream.url, models: [{ id: "gpt-test" }] } } },
    logging: { consoleLevel: "warn", level: "warn" },
    update: { enabled: false },
  }),
);

const pyclawPort = freePort();
const pyclaw = track(spawnGateway({ port: pyclawPort, token: TOKEN, stateDir }));
const portkeyPort = freePort();
const portkey = track(
  new Deno.Command(node, {
    args: [portkeyEntry, `--port=${portkeyPort}`, "--headless"],
    env: { NODE_ENV: "production" },
    stdout: "null",
    stderr: "null",
  }).spawn(),
);

const targets: Record<string, ChatTarget> = {
  direct: { base: upstream.url, headers: {}, model: "gpt-test" },
  pyclaw: {
    base: `http://127.0.0.1:${pyclawPort}/v1`,
    headers: { authorization: `Bearer ${TOKEN}` },
    model: "gpt-test",
  },
  // Portkey's OpenAI provider with the upstream as its custom host (loopback is trusted by default).
  Portkey: {
    base: `http://127.0.0.1:${portkeyPort}/v1`,
    headers: {
      authorization: "Bearer sk-bench",
      "x-portkey-provider": "openai",
      "x-portkey-custom-host": upstream.url,
    },
    model: "gpt-test",
  },
};
const names = Object.keys(targets);

type Sample = { plain: number[]; first: number[]; total: number[]; lost: number };
const rounds: Record<string, Sample>[] = [];
let rss: Record<string, number> = {};
try {
  for (const name of ["pyclaw", "Portkey"]) {
    for (let attempt = 0;; attempt++) {
      if (await nonStreaming(targets[name]).then(() => true, () => false)) break;
      if (attempt > 3000) throw new Error(`${name} did not come up`);
      await sleep(10);
    }
  }
  // Warm every path (JIT, connection pools) before measuring.
  for (let i = 0; i < 50; i++) {
    for (const name of names) {
      await nonStreaming(targets[name]);
      await streaming(targets[name]);
    }
  }
  for (let round = 0; round < ROUNDS; round++) {
    console.error(`… round ${round + 1}/${ROUNDS}`);
    const samples: Record<string, Sample> = Object.fromEntries(
      names.map((name) => [name, { plain: [], first: [], total: [], lost: 0 }]),
    );
    for (let i = 0; i < REQUESTS; i++) {
      // Rotate who goes first, so none always follows the same neighbour.
      const order = names.map((_, k) => names[(i + k) % names.length]);
      for (const name of order) samples[name].plain.push(await nonStreaming(targets[name]));
      for (const name of order) {
        const result = await streaming(targets[name]);
        samples[name].first.push(result.first);
        samples[name].total.push(result.total);
        samples[name].lost += CHUNKS - result.chunks;
      }
    }
    rounds.push(samples);
  }
  rss = { pyclaw: rssMb(pyclaw.pid).tree, Portkey: rssMb(portkey.pid).tree };
} finally {
  await stopTree(pyclaw);
  await stopTree(portkey);
  await upstream.stop();
  await Deno.remove(stateDir, { recursive: true }).catch(() => {});
}

/** Median over rounds of a per-round statistic. */
const over = (name: string, pick: (s: Sample) => number) =>
  median(rounds.map((r) => pick(r[name])));
const stats: [string, (s: Sample) => number][] = [
  ["non-streaming p50", (s) => percentile(s.plain, 50)],
  ["non-streaming p99", (s) => percentile(s.plain, 99)],
  ["stream first chunk p50", (s) => percentile(s.first, 50)],
  ["stream first chunk p99", (s) => percentile(s.first, 99)],
  ["stream complete p50", (s) => percentile(s.total, 50)],
];
console.log(
  `pyclaw vs Portkey gateway ${PEERS.portkey.version} vs direct, ${REQUESTS} requests ` +
    `of each kind per target per round, ${CHUNKS} chunks a reply, medians of ${ROUNDS} rounds (ms)`,
);
console.log(`Machine: ${machine()}`);
printTable(
  ["metric", "direct", "pyclaw", "Portkey", "pyclaw added", "Portkey added", "pyclaw/Portkey"],
  stats.map(([label, pick]) => {
    const [direct, ours, theirs] = names.map((name) => over(name, pick));
    const addedOurs = ours - direct;
    const addedTheirs = theirs - direct;
    return [
      label,
      direct.toFixed(3),
      ours.toFixed(3),
      theirs.toFixed(3),
      addedOurs.toFixed(3),
      addedTheirs.toFixed(3),
      (addedOurs / addedTheirs).toFixed(3),
    ];
  }),
);
const lost = names.map((name) => `${name} ${rounds.reduce((sum, r) => sum + r[name].lost, 0)}`);
console.log(`stream chunks lost: ${lost.join(", ")}`);
console.log(
  `RSS after the run (MB): pyclaw ${rss.pyclaw.toFixed(1)}, Portkey ${rss.Portkey.toFixed(1)}`,
);
const addedPlain = (name: string) => over(name, stats[0][1]) - over("direct", stats[0][1]);
const addedFirst = (name: string) => over(name, stats[2][1]) - over("direct", stats[2][1]);
const met = addedPlain("pyclaw") < addedPlain("Portkey") &&
  addedFirst("pyclaw") < addedFirst("Portkey");
console.log(
  `less added latency than Portkey (p50, non-streaming and first chunk): ${met ? "met" : "MISSED"}`,
);
