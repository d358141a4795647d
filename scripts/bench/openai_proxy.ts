/**
 * @module Benchmark of the OpenAI-compatible API against calling the stand-in upstream directly,
 * side by side in one run: non-streaming p50/p99, streaming time to first content chunk, N
 * concurrent streams with zero lost chunks, and the WebSocket `chat.send` → `chat.done` overhead
 * beyond the provider's own time. Upstream, gateway and client are three processes.
 *
 * Usage: node_modules/.bin/deno run -A scripts/bench/openai_proxy.ts [--requests 400]
 *        [--concurrent 100] [--chunks 20] [--warm-ms 3000] [--warm-rounds 1000]
 */

import {
  type ChatTarget,
  flag,
  freePort,
  nonStreaming as timeNonStreaming,
  percentile as pct,
  spawnGateway,
  startFakeUpstream,
  streaming as timeStreaming,
} from "./_common.ts";

const REQUESTS = flag("requests", 400);
const CONCURRENT = flag("concurrent", 100);
const CHUNKS = flag("chunks", 20);
const WARM_MS = flag("warm-ms", 3_000);
const WARM_ROUNDS = flag("warm-rounds", 1_000);
const TOKEN = "bench-token-0123456789abcdef";

const upstream = await startFakeUpstream(CHUNKS);
const upstreamUrl = upstream.url;

const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-bench-" });
const port = freePort();
await Deno.writeTextFile(
  `${stateDir}/pyclaw.json`,
  JSON.stringify({
    gateway: {
      http: { port: false },
      limits: { requestsPerSecond: 100000, requestBurst: 100000, maxConnectionsPerAddress: 1000 },
    },
    models: { providers: { fake: { baseUrl: upstreamUrl, models: [{ id: "gpt-test" }] } } },
    agents: { defaults: { model: "fake/gpt-test" } },
    logging: { consoleLevel: "warn", level: "warn" },
    update: { enabled: false },
  }),
);
const gateway = spawnGateway({ port, token: TOKEN, stateDir });
const gatewayUrl = `http://127.0.0.1:${port}/v1`;
for (;;) {
  try {
    if ((await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.text())).includes("ok")) {
      break;
    }
  } catch { /* not up yet */ }
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const targetOf = (base: string): ChatTarget => ({
  base,
  headers: { authorization: `Bearer ${TOKEN}` },
  model: "gpt-test",
});
const nonStreaming = (base: string) => timeNonStreaming(targetOf(base));
const streaming = (base: string) => timeStreaming(targetOf(base));

const ms = (value: number) => `${value.toFixed(3)} ms`;

// Warm both paths (JIT, connection pools) and the machine before measuring: coming from quiet,
// every round trip here runs slow for 1-2 s of continuous requests, and the gateway's JIT keeps
// compiling on threads beside the main one for ~1,000 rounds (scripts/bench/quick.ts).
for (
  let i = 0, until = performance.now() + WARM_MS;
  i < WARM_ROUNDS || performance.now() < until;
  i++
) {
  await nonStreaming(upstreamUrl);
  await nonStreaming(gatewayUrl);
  await streaming(upstreamUrl);
  await streaming(gatewayUrl);
}

const direct: number[] = [];
const proxied: number[] = [];
const directFirst: number[] = [];
const proxiedFirst: number[] = [];
const directTotal: number[] = [];
for (let i = 0; i < REQUESTS; i++) {
  // Alternate, so drift in the machine's load hits both sides alike.
  direct.push(await nonStreaming(upstreamUrl));
  proxied.push(await nonStreaming(gatewayUrl));
  const d = await streaming(upstreamUrl);
  directFirst.push(d.first);
  directTotal.push(d.total);
  proxiedFirst.push((await streaming(gatewayUrl)).first);
}

const concurrent = await Promise.all(
  Array.from({ length: CONCURRENT }, () => streaming(gatewayUrl)),
);
const lost = concurrent.reduce((sum, result) => sum + (CHUNKS - result.chunks), 0);

// WebSocket chat.send → answer, against the provider's own streaming time.
const socket = new WebSocket(`ws://127.0.0.1:${port}`);
await new Promise((resolve) => (socket.onopen = resolve));
let nextId = 1;
const pending = new Map<string, () => void>();
socket.onmessage = (event) => {
  const frame = JSON.parse(event.data);
  if (frame.type === "res") pending.get(String(frame.id))?.();
};
const call = (method: string, params: unknown) =>
  new Promise<void>((resolve) => {
    const id = String(nextId++);
    pending.set(id, resolve);
    socket.send(JSON.stringify({ type: "req", id, method, params }));
  });
await call("connect", { minProtocol: 3, maxProtocol: 3, auth: { token: TOKEN } });
const turns: number[] = [];
const turnsDirect: number[] = [];
for (let i = 0; i < Math.min(REQUESTS, 200); i++) {
  const started = performance.now();
  await call("chat.send", { message: "Say something", sessionId: `bench-${i % 10}` });
  turns.push(performance.now() - started);
  turnsDirect.push((await streaming(upstreamUrl)).total);
}
socket.close();

console.log(`openai_proxy benchmark: ${REQUESTS} requests each way, ${CHUNKS} chunks a reply`);
console.log(`non-streaming   direct p50 ${ms(pct(direct, 50))} p99 ${ms(pct(direct, 99))}`);
console.log(`                gateway p50 ${ms(pct(proxied, 50))} p99 ${ms(pct(proxied, 99))}`);
console.log(
  `                added p50 ${ms(pct(proxied, 50) - pct(direct, 50))} p99 ${
    ms(pct(proxied, 99) - pct(direct, 99))
  }`,
);
console.log(
  `first chunk     direct p50 ${ms(pct(directFirst, 50))}, gateway p50 ${
    ms(pct(proxiedFirst, 50))
  }`,
);
console.log(`                added p50 ${ms(pct(proxiedFirst, 50) - pct(directFirst, 50))}`);
console.log(
  `concurrent      ${CONCURRENT} streams, ${CONCURRENT * CHUNKS - lost}/${
    CONCURRENT * CHUNKS
  } chunks, lost ${lost}`,
);
console.log(
  `chat.send turn  p50 ${ms(pct(turns, 50))}, provider alone p50 ${
    ms(pct(turnsDirect, 50))
  }, overhead p50 ${ms(pct(turns, 50) - pct(turnsDirect, 50))}`,
);

gateway.kill("SIGTERM");
await gateway.status;
await upstream.stop();
await Deno.remove(stateDir, { recursive: true });
