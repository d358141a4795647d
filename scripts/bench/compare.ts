/**
 * @module Two or more checkouts' gateways side by side, their requests interleaved one by one,
 * so that a loaded machine weighs on each alike: `/v1` added time (whole reply and first
 * streamed chunk) over the stand-in upstream, `chat.send` turn overhead, and turn time with
 * 1,000 idle clients against none; with each gateway's own CPU time per request (from /proc),
 * which moves less with the machine's load than wall time does. Where `bench:quick` run after
 * run cannot tell two trees apart on a busy machine, this can.
 *
 * `floor` in place of a tree is a bare Deno.serve proxy (scripts/bench/bare_proxy.ts) for the
 * `v1` and `first` modes: what the fastest proxy found in Deno adds (kept HTTP/1.1 connections
 * upstream), measured in the same run; `floor-fetch` is the same proxy with Deno's fetch.
 *
 * Usage: node_modules/.bin/deno run -A scripts/bench/compare.ts TREE... [--requests 300]
 *        [--modes v1,first,turn,idle]
 */

import {
  type ChatTarget,
  flag,
  freePort,
  holdIdleClients,
  machine,
  median,
  nonStreaming,
  printTable,
  sleep,
  spawnGateway,
  startBareProxy,
  startFakeUpstream,
  stopTree,
  streaming,
  track,
  wsSession,
} from "./_common.ts";

const FLOOR = "floor";
const FLOOR_FETCH = "floor-fetch";
const isFloor = (tree: string) => tree === FLOOR || tree === FLOOR_FETCH;
const trees = Deno.args
  .filter((arg, i) => !arg.startsWith("--") && !(Deno.args[i - 1] ?? "").startsWith("--"))
  .map((tree) => isFloor(tree) ? tree : Deno.realPathSync(tree));
const REQUESTS = flag("requests", 300);
const modesAt = Deno.args.indexOf("--modes");
const MODES = (modesAt >= 0 ? Deno.args[modesAt + 1] : "v1,first,turn,idle").split(",");
const TOKEN = "bench-token-0123456789abcdef";
const connectParams = { minProtocol: 3, maxProtocol: 3, auth: { token: TOKEN } };

const upstream = await startFakeUpstream(20);
const direct: ChatTarget = { base: upstream.url, headers: {}, model: "gpt-test" };

/** One tree's gateway, a client of it, and its CPU clock. */
async function startTree(tree: string) {
  if (isFloor(tree)) {
    // The bare proxy of `floor`, as a gateway that serves only `/v1` requests.
    const floor = await startBareProxy(upstream.url, tree === FLOOR_FETCH);
    return gatewayOf(tree, floor.child, floor.port, undefined, "", {
      base: floor.base,
      headers: {},
      model: "gpt-test",
    });
  }
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-compare-" });
  await Deno.writeTextFile(
    `${stateDir}/pyclaw.json`,
    JSON.stringify({
      gateway: {
        limits: {
          requestsPerSecond: 100_000,
          requestBurst: 100_000,
          maxConnectionsPerAddress: 2_000,
        },
      },
      models: { providers: { fake: { baseUrl: upstream.url, models: [{ id: "gpt-test" }] } } },
      agents: { defaults: { model: "fake/gpt-test" } },
      logging: { consoleLevel: "warn", level: "warn" },
      update: { enabled: false },
    }),
  );
  const port = freePort();
  const child = track(spawnGateway({ tree, port, token: TOKEN, stateDir }));
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/health`);
      await response.body?.cancel();
      if (response.ok) break;
    } catch { /* not listening yet */ }
    await sleep(10);
  }
  const session = await wsSession(`ws://127.0.0.1:${port}`, connectParams);
  return gatewayOf(tree, child, port, session, stateDir, {
    base: `http://127.0.0.1:${port}/v1`,
    headers: { authorization: `Bearer ${TOKEN}` },
    model: "gpt-test",
  });
}

function gatewayOf(
  tree: string,
  child: Deno.ChildProcess,
  port: number,
  session: Awaited<ReturnType<typeof wsSession>> | undefined,
  stateDir: string,
  target: ChatTarget,
) {
  let turnNo = 0;
  return {
    tree,
    port,
    child,
    socket: session?.socket,
    stateDir,
    target,
    async turn(): Promise<number> {
      if (!session) throw new Error("The floor proxy runs no turns");
      const started = performance.now();
      const reply = await session.call("chat.send", {
        message: "Say something",
        sessionId: `c-${turnNo++ % 5}`,
      });
      if (!reply.ok) throw new Error(`chat.send failed: ${JSON.stringify(reply.error)}`);
      return performance.now() - started;
    },
    /** User + system CPU milliseconds of the gateway process so far. */
    cpu(): number {
      const fields = Deno.readTextFileSync(`/proc/${child.pid}/stat`).split(") ")[1].split(" ");
      return (Number(fields[11]) + Number(fields[12])) * (1000 / 100);
    },
    results: new Map<string, { added: number; cpu: number }>(),
  };
}
type Gateway = Awaited<ReturnType<typeof startTree>>;

/** Per mode: the gateway's time for one request, and the direct call it is compared with. */
const MEASURES: Record<string, [(g: Gateway) => Promise<number>, () => Promise<number>]> = {
  v1: [(g) => nonStreaming(g.target), () => nonStreaming(direct)],
  first: [
    async (g) => (await streaming(g.target)).first,
    async () => (await streaming(direct)).first,
  ],
  turn: [(g) => g.turn(), async () => (await streaming(direct)).total],
  idle: [(g) => g.turn(), async () => (await streaming(direct)).total],
};

/** `items` in a random order (Fisher-Yates). */
function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

const all: Gateway[] = [];
for (const tree of trees) all.push(await startTree(tree));
const idleClients: { close(): Promise<void> }[] = [];
for (const mode of MODES) {
  const [measure, baseline] = MEASURES[mode];
  // The floor proxy takes part in the /v1 modes only.
  const gateways = all.filter((g) => g.socket || mode === "v1" || mode === "first");
  if (mode === "idle") {
    for (const g of gateways) {
      idleClients.push(await holdIdleClients(`ws://127.0.0.1:${g.port}`, 1000, connectParams));
    }
  }
  // What follows a quiet moment (presence, the memory sync) settles before either side counts.
  await sleep(mode === "turn" || mode === "idle" ? 2_500 : 0);
  for (let i = 0; i < 20; i++) for (const g of gateways) await measure(g);
  const cpuBefore = gateways.map((g) => g.cpu());
  const added = gateways.map(() => [] as number[]);
  const count = mode === "v1" || mode === "first" ? REQUESTS : Math.ceil(REQUESTS / 2);
  for (let i = 0; i < count; i++) {
    // A fresh random order each round, so no tree holds a place. Alternating A B / B A put the
    // last tree's requests back to back half the time (its process still warm from the last
    // one), which read 20-50 us less for the same commit in two columns (docs/benchmarks.md).
    const order = shuffled([...gateways.keys()]);
    for (const j of order) added[j].push(await measure(gateways[j]) - await baseline());
  }
  gateways.forEach((g, j) =>
    g.results.set(mode, { added: median(added[j]), cpu: (g.cpu() - cpuBefore[j]) / count })
  );
}

console.log(`bench compare — ${new Date().toISOString()}`);
console.log(`Machine: ${machine()}`);
const label: Record<string, string> = {
  v1: "/v1 added p50 (ms)",
  first: "/v1 added to first chunk p50 (ms)",
  turn: "chat.send overhead p50 (ms)",
  idle: "chat.send overhead, 1,000 idle clients (ms)",
};
printTable(
  ["measure", ...all.map((g) => g.tree)],
  MODES.flatMap((mode) => [
    [label[mode], ...all.map((g) => g.results.get(mode)?.added.toFixed(3) ?? "-")],
    [
      `  gateway CPU per request (ms)`,
      ...all.map((g) => g.results.get(mode)?.cpu.toFixed(2) ?? "-"),
    ],
  ]),
);
for (const clients of idleClients) await clients.close();
for (const g of all) {
  g.socket?.close();
  await stopTree(g.child, 5_000);
  if (g.stateDir) await Deno.remove(g.stateDir, { recursive: true });
}
await upstream.stop();
