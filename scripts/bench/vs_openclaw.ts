/**
 * @module Benchmark of the pyclaw gateway against the OpenClaw gateway, side by side in one run
 * and configured alike (token auth, loopback, the same stand-in OpenAI provider as the default
 * agent's model): cold start to the first answered health request (HTTP `/health`, and a
 * WebSocket `connect` + `health`), idle RSS of the whole process tree, health round trips on one
 * connection, 100 concurrent clients each doing connect + health, and one agent turn's overhead
 * (`/v1/chat/completions` addressed to the default agent, less a direct call to the provider).
 * Every round starts both gateways afresh, in alternating order; the table holds medians over the
 * rounds. OpenClaw and Node 24 are installed on demand into ~/.cache/pyclaw-bench
 * (scripts/bench/_peers.ts); OpenClaw's HOME and state live in a temporary folder.
 *
 * Usage: node_modules/.bin/deno run -A scripts/bench/vs_openclaw.ts [--rounds 5]
 *        [--clients 100] [--calls 1000] [--turns 20] [--idle-ms 5000]
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
  track,
  wsSession,
} from "./_common.ts";
import { ensurePeer, PEERS } from "./_peers.ts";

const ROUNDS = flag("rounds", 5);
const CLIENTS = flag("clients", 100);
const CALLS = flag("calls", 1000);
const TURNS = flag("turns", 20);
const IDLE_MS = flag("idle-ms", 5000);
const TOKEN = "bench-token-0123456789abcdef";

const node = await ensurePeer("node24");
const openclaw = await ensurePeer("openclaw", node);
const upstream = await startFakeUpstream(20);
const work = await Deno.makeTempDir({ prefix: "pyclaw-bench-openclaw-" });
// OpenClaw keeps lock and staging folders under /tmp whatever TMPDIR says; those this run
// creates are removed at the end.
const uid = Deno.uid() ?? 0;
const openclawTmp = [
  `/tmp/openclaw-state-locks-${uid}`,
  `/tmp/.openclaw-terminal-staging-${uid}`,
  "/tmp/openclaw",
];
const tmpBefore = new Set(openclawTmp.filter((path) => exists(path)));
atInterrupt(() => {
  for (const path of [work, ...openclawTmp.filter((path) => !tmpBefore.has(path))]) {
    if (exists(path)) Deno.removeSync(path, { recursive: true });
  }
});

interface Gateway {
  name: string;
  start(port: number): Deno.ChildProcess;
  connect: unknown;
  /** The `model` of `/v1/chat/completions` that runs the default agent. */
  agentModel: string;
}

await Deno.mkdir(`${work}/pyclaw`);
await Deno.writeTextFile(
  `${work}/pyclaw/pyclaw.json`,
  JSON.stringify({
    gateway: {
      http: { port: false },
      limits: {
        maxConnectionsPerAddress: CLIENTS + 100,
        requestsPerSecond: 100000,
        requestBurst: 100000,
      },
    },
    models: { providers: { fake: { baseUrl: upstream.url, models: [{ id: "gpt-test" }] } } },
    agents: { defaults: { model: "fake/gpt-test" } },
    logging: { consoleLevel: "warn", level: "warn" },
    update: { enabled: false },
  }),
);

const openclawHome = `${work}/openclaw-home`;
await Deno.mkdir(`${openclawHome}/.openclaw`, { recursive: true });
await Deno.mkdir(`${openclawHome}/tmp`);
await Deno.writeTextFile(
  `${openclawHome}/.openclaw/openclaw.json`,
  JSON.stringify({
    gateway: {
      mode: "local",
      auth: { mode: "token", token: TOKEN },
      http: { endpoints: { chatCompletions: { enabled: true } } },
    },
    models: {
      mode: "merge",
      providers: {
        fake: {
          baseUrl: upstream.url,
          apiKey: "sk-bench",
          api: "openai-completions",
          models: [{
            id: "gpt-test",
            name: "gpt-test",
            reasoning: false,
            input: ["text"],
            cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
            contextWindow: 128000,
            maxTokens: 4096,
          }],
        },
      },
    },
    agents: { defaults: { model: { primary: "fake/gpt-test" } } },
    // Its default log file is /tmp/openclaw/, outside the temporary folder.
    logging: { file: `${openclawHome}/openclaw.log` },
  }),
);

const gateways: Gateway[] = [
  {
    name: "pyclaw",
    start: (port) => spawnGateway({ port, token: TOKEN, stateDir: `${work}/pyclaw` }),
    connect: { minProtocol: 3, maxProtocol: 3, clientName: "bench", auth: { token: TOKEN } },
    agentModel: "agent:main",
  },
  {
    name: "OpenClaw",
    start: (port) =>
      new Deno.Command(node, {
        args: [openclaw, "gateway", "run", "--port", String(port), "--bind", "loopback"],
        env: {
          HOME: openclawHome,
          OPENCLAW_STATE_DIR: `${openclawHome}/.openclaw`,
          OPENCLAW_CONFIG_PATH: `${openclawHome}/.openclaw/openclaw.json`,
          OPENCLAW_DISABLE_BONJOUR: "1",
          OPENCLAW_NO_AUTO_UPDATE: "1",
          // Its default is 32 sockets per address awaiting `connect`; pyclaw's limit is raised too.
          OPENCLAW_MAX_PREAUTH_CONNECTIONS_PER_IP: String(CLIENTS + 100),
          TMPDIR: `${openclawHome}/tmp`,
        },
        stdout: "null",
        stderr: "null",
      }).spawn(),
    // The loopback backend client may connect with the shared token and no device identity.
    connect: {
      minProtocol: 4,
      maxProtocol: 4,
      client: { id: "gateway-client", version: "1.0.0", platform: Deno.build.os, mode: "backend" },
      role: "operator",
      scopes: ["operator.read", "operator.write", "operator.admin"],
      caps: [],
      auth: { token: TOKEN },
    },
    agentModel: "openclaw",
  },
];

/** Polls until `attempt` succeeds, returning the ms since `started`. */
async function until(started: number, attempt: () => Promise<boolean>, deadlineMs = 120_000) {
  for (;;) {
    if (await attempt().catch(() => false)) return performance.now() - started;
    if (performance.now() - started > deadlineMs) throw new Error("The gateway did not come up");
    await sleep(5);
  }
}

type Metrics = Record<string, number>;

async function measure(gateway: Gateway, round: number): Promise<Metrics> {
  const port = freePort();
  const url = `ws://127.0.0.1:${port}`;
  const started = performance.now();
  const child = track(gateway.start(port));
  try {
    const httpHealth = await until(started, async () => {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      await response.body?.cancel();
      return response.ok;
    });
    // OpenClaw answers `connect` with a retryable UNAVAILABLE until its sidecars are up.
    const wsHealth = await until(started, async () => {
      const { socket, call } = await wsSession(url, gateway.connect);
      const reply = await call("health");
      socket.close();
      return reply.ok;
    });
    await sleep(IDLE_MS);
    const idle = rssMb(child.pid);

    const { socket, call } = await wsSession(url, gateway.connect);
    for (let i = 0; i < Math.min(200, CALLS); i++) await call("health");
    const times: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      const reply = await call("health");
      if (!reply.ok) throw new Error(`${gateway.name} health failed: ${JSON.stringify(reply)}`);
      times.push(performance.now() - t);
    }
    socket.close();

    const burstStart = performance.now();
    const outcomes = await Promise.allSettled(
      Array.from({ length: CLIENTS }, async () => {
        const t = performance.now();
        const { socket, call } = await wsSession(url, gateway.connect);
        const reply = await call("health");
        socket.close();
        if (!reply.ok) throw new Error(JSON.stringify(reply.error));
        return performance.now() - t;
      }),
    );
    const burstMs = performance.now() - burstStart;
    const served = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value] : []));
    const failed = outcomes.flatMap((o) => (o.status === "rejected" ? [String(o.reason)] : []));
    if (failed.length) {
      console.error(`… ${gateway.name}: ${failed.length} clients failed: ${failed[0]}`);
    }

    // One agent turn, each in a fresh session, against the provider called directly.
    const base = `http://127.0.0.1:${port}/v1`;
    const headers = { authorization: `Bearer ${TOKEN}` };
    const direct: ChatTarget = { base: upstream.url, headers: {}, model: "gpt-test" };
    const turn = (i: number) =>
      nonStreaming({ base, headers, model: gateway.agentModel, user: `bench-${round}-${i}` });
    // The first turns after start load the agent runtime: the first is reported, none is counted.
    const firstTurn = await turn(-1);
    for (let i = 2; i <= 3; i++) await turn(-i);
    const turns: number[] = [];
    const directs: number[] = [];
    for (let i = 0; i < TURNS; i++) {
      turns.push(await turn(i));
      directs.push(await nonStreaming(direct));
    }
    const settled = rssMb(child.pid);

    return {
      "cold start, HTTP /health (ms)": httpHealth,
      "cold start, WS connect+health (ms)": wsHealth,
      "idle RSS, process tree (MB)": idle.tree,
      "idle RSS, main process (MB)": idle.main,
      "health p50 (ms)": percentile(times, 50),
      "health p99 (ms)": percentile(times, 99),
      [`${CLIENTS} clients answered`]: served.length,
      [`${CLIENTS} clients, all done (ms)`]: burstMs,
      [`${CLIENTS} clients, p99 each (ms)`]: served.length ? percentile(served, 99) : NaN,
      "first agent turn after start (ms)": firstTurn,
      "agent turn p50 (ms)": median(turns),
      "agent turn overhead p50 (ms)": median(turns) - median(directs),
      "RSS tree after turns (MB)": settled.tree,
    };
  } finally {
    await stopTree(child);
  }
}

const results = new Map<string, Metrics[]>(gateways.map((g) => [g.name, []]));
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first, so drift in the machine's load hits both alike.
    const order = round % 2 ? [...gateways].reverse() : gateways;
    for (const gateway of order) {
      console.error(`… round ${round + 1}/${ROUNDS}: ${gateway.name}`);
      results.get(gateway.name)!.push(await measure(gateway, round));
    }
  }
} finally {
  await upstream.stop();
  await Deno.remove(work, { recursive: true }).catch(() => {});
  for (const path of openclawTmp) {
    if (!tmpBefore.has(path)) await Deno.remove(path, { recursive: true }).catch(() => {});
  }
}

const medianOf = (name: string, metric: string) => median(results.get(name)!.map((m) => m[metric]));
const metrics = Object.keys(results.get("pyclaw")![0]);
console.log(
  `pyclaw vs OpenClaw ${PEERS.openclaw.version} (Node ${await nodeVersion()}), medians of ${ROUNDS} rounds`,
);
console.log(`Machine: ${machine()}`);
printTable(
  ["metric", "pyclaw", "OpenClaw", "pyclaw/OpenClaw"],
  metrics.map((metric) => {
    const ours = medianOf("pyclaw", metric);
    const theirs = medianOf("OpenClaw", metric);
    return [
      metric,
      ours.toFixed(2),
      theirs.toFixed(2),
      theirs ? `${(ours / theirs).toFixed(3)}` : "-",
    ];
  }),
);
const startRatio = medianOf("OpenClaw", "cold start, WS connect+health (ms)") /
  medianOf("pyclaw", "cold start, WS connect+health (ms)");
const memoryRatio = medianOf("OpenClaw", "idle RSS, process tree (MB)") /
  medianOf("pyclaw", "idle RSS, process tree (MB)");
console.log(
  `cold start: pyclaw ${startRatio.toFixed(1)}× faster (goal ≥ 15×) ${
    startRatio >= 15 ? "met" : "MISSED"
  }`,
);
console.log(
  `idle memory: pyclaw ${memoryRatio.toFixed(1)}× less (goal ≥ 10×) ${
    memoryRatio >= 10 ? "met" : "MISSED"
  }`,
);
console.log("per round (pyclaw | OpenClaw), cold start WS ms and idle tree MB:");
for (let round = 0; round < ROUNDS; round++) {
  const [ours, theirs] = ["pyclaw", "OpenClaw"].map((name) => results.get(name)![round]);
  console.log(
    `  ${round + 1}: ${ours["cold start, WS connect+health (ms)"].toFixed(0)} | ${
      theirs["cold start, WS connect+health (ms)"].toFixed(0)
    } ms, ${ours["idle RSS, process tree (MB)"].toFixed(1)} | ${
      theirs["idle RSS, process tree (MB)"].toFixed(1)
    } MB`,
  );
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

async function nodeVersion(): Promise<string> {
  const out = await new Deno.Command(node, { args: ["--version"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}
