/**
 * @module Soak run: a real `pyclaw gateway run` child process, N clients chatting with a stand-in
 * provider for a bounded time (sessions rotated and deleted, clients reconnecting now and then),
 * RSS and open file descriptors read from /proc. Passes when the quiet RSS at the end is within
 * `--rss-tolerance` (5%) of the quiet RSS after warm-up and the fd count has not grown.
 *
 * Usage: node_modules/.bin/deno run -A --no-lock scripts/soak.ts [--minutes 10] [--clients 100]
 *        [--warmup-seconds 120] [--think-ms 1000] [--rss-tolerance 0.05] [--json FILE]
 */

import { GatewayClient } from "../core/protocol/client.ts";
import { startFakeOpenAI } from "../tests/_helpers/fake_openai.ts";
import {
  fdCount,
  fdKinds,
  PROCESS_TOKEN,
  rssBytes,
  socketPorts,
  startGatewayProcess,
  writeConfig,
} from "../tests/reliability/_gateway_process.ts";

const flag = (name: string, fallback: number) => {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
};
const MINUTES = flag("minutes", 10);
const CLIENTS = flag("clients", 100);
// RSS settles after about 80 s under 100 clients (V8 heap sizing, allocator arenas): a fifth
// of the run, between 30 s and 2 min, is measured as warm-up.
const WARMUP_S = flag("warmup-seconds", Math.min(120, Math.max(30, MINUTES * 12)));
const THINK_MS = flag("think-ms", 1000);
const TOLERANCE = flag("rss-tolerance", 0.05);
const jsonAt = Deno.args.indexOf("--json");
const JSON_OUT = jsonAt >= 0 ? Deno.args[jsonAt + 1] : undefined;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (bytes: number) => Math.round(bytes / 1024 / 1024 * 10) / 10;

const upstream = await startFakeOpenAI({ apiKey: "sk-fake" });
upstream.setDefault({ chunks: Array.from({ length: 12 }, (_, i) => `tok${i} `), chunkDelayMs: 5 });
const upstreamPort = Number(new URL(upstream.url).port);
const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-soak-" });
await writeConfig(stateDir, {
  models: {
    providers: {
      fake: {
        api: "openai",
        baseUrl: upstream.url,
        apiKey: "sk-fake",
        models: [{ id: "gpt-test" }],
      },
    },
  },
  agents: { defaults: { model: "fake/gpt-test" } },
  tools: { exec: { policy: "deny" } },
  gateway: { http: { port: false }, limits: { maxConnectionsPerAddress: CLIENTS + 16 } },
  logging: { level: "warn" },
});
const gateway = await startGatewayProcess(stateDir);
console.error(
  `soak: gateway pid ${gateway.pid}, ${CLIENTS} clients, ${MINUTES} min, warm-up ${WARMUP_S} s`,
);

const counts = { turns: 0, errors: 0, reconnects: 0, deletes: 0, otherCalls: 0 };
const errorsSeen = new Map<string, number>();
let paused = false;
let stopping = false;
let busy = 0;

async function clientLoop(index: number): Promise<void> {
  const connect = () =>
    GatewayClient.connect(gateway.url, { token: PROCESS_TOKEN, clientName: `soak-${index}` });
  let client = await connect();
  let generation = 0;
  let turn = 0;
  await sleep(Math.random() * THINK_MS);
  while (!stopping) {
    if (paused) {
      await sleep(100);
      continue;
    }
    busy++;
    try {
      const sessionId = `soak-${index}-${generation}`;
      await client.request("chat.send", { message: `hello ${turn}`, sessionId });
      counts.turns++;
      turn++;
      if (turn % 5 === 0) {
        await client.request("chat.history", { sessionId, limit: 20 });
        await client.request("health");
        counts.otherCalls += 2;
      }
      if (turn % 10 === 0) {
        // A fresh session; the old file is deleted, so disk and history stay bounded.
        const list = await client.request(
          "sessions.list",
        );
        const old = list.sessions.find((s) => s.file === `${sessionId}.jsonl`);
        if (old) await client.request("sessions.delete", { path: old.path });
        counts.deletes++;
        generation++;
      }
      if (turn % 25 === 0) {
        client.close();
        await client.closed;
        client = await connect();
        counts.reconnects++;
      }
    } catch (error) {
      counts.errors++;
      const message = (error as Error).message.slice(0, 120);
      errorsSeen.set(message, (errorsSeen.get(message) ?? 0) + 1);
      if (/closed/i.test(message)) client = await connect().catch(() => client);
    } finally {
      busy--;
    }
    await sleep(THINK_MS * (0.5 + Math.random()));
  }
  client.close();
  await client.closed;
}

/** Pauses the load, waits for in-flight turns and a settle time, and samples RSS and fds. */
async function quietSample(label: string) {
  paused = true;
  while (busy > 0) await sleep(20);
  await sleep(3_000);
  const sample = {
    rss: await rssBytes(gateway.pid),
    fds: await fdCount(gateway.pid),
    fdKinds: await fdKinds(gateway.pid),
    sockets: await socketPorts(gateway.pid, [gateway.port]),
  };
  // Keep-alive connections to the provider are a pool bounded by concurrent turns, not a leak.
  const upstreamSockets = sample.sockets[`remote:${upstreamPort}`] ?? 0;
  const kinds = JSON.stringify(sample.sockets);
  console.error(
    `soak: ${label}: RSS ${mib(sample.rss)} MiB, ${sample.fds} fds ${kinds}, ${counts.turns} turns`,
  );
  paused = false;
  return { ...sample, upstreamSockets, otherFds: sample.fds - upstreamSockets };
}

const samples: { t: number; rss: number; fds: number }[] = [];
const started = Date.now();
const sampler = setInterval(async () => {
  try {
    samples.push({
      t: Math.round((Date.now() - started) / 1000),
      rss: await rssBytes(gateway.pid),
      fds: await fdCount(gateway.pid),
    });
  } catch {
    // the gateway is gone; the end check reports it
  }
}, 5_000);

const loops = Array.from({ length: CLIENTS }, (_, i) => clientLoop(i));
await sleep(WARMUP_S * 1000);
const warm = await quietSample("after warm-up");
const turnsAtWarm = counts.turns;
await sleep(Math.max(0, MINUTES * 60_000 - (Date.now() - started)));
const end = await quietSample("end");
stopping = true;
paused = false;
await Promise.all(loops);
clearInterval(sampler);
const alive = await Deno.stat(`/proc/${gateway.pid}`).then(() => true, () => false);
await gateway.stop();
await upstream.close();
await Deno.remove(stateDir, { recursive: true });

const seconds = (Date.now() - started) / 1000;
const rssChange = (end.rss - warm.rss) / warm.rss;
const result = {
  minutes: MINUTES,
  clients: CLIENTS,
  turns: counts.turns,
  turnsPerSecond: Math.round(counts.turns / seconds * 10) / 10,
  turnsAfterWarmup: counts.turns - turnsAtWarm,
  errors: counts.errors,
  errorKinds: Object.fromEntries(errorsSeen),
  reconnects: counts.reconnects,
  sessionDeletes: counts.deletes,
  rssAfterWarmupMiB: mib(warm.rss),
  rssEndMiB: mib(end.rss),
  rssChangePercent: Math.round(rssChange * 1000) / 10,
  rssPeakMiB: mib(Math.max(...samples.map((s) => s.rss), end.rss)),
  fdsAfterWarmup: warm.fds,
  fdsEnd: end.fds,
  fdsWithoutProviderPoolAfterWarmup: warm.otherFds,
  fdsWithoutProviderPoolEnd: end.otherFds,
  providerPoolSocketsEnd: end.upstreamSockets,
  fdKindsAfterWarmup: warm.fdKinds,
  fdKindsEnd: end.fdKinds,
  gatewayAliveAtEnd: alive,
  samples,
};
const pass = alive && rssChange <= TOLERANCE && end.otherFds <= warm.otherFds &&
  end.upstreamSockets <= CLIENTS && counts.errors === 0;
console.log(JSON.stringify({ ...result, samples: undefined, pass }, null, 2));
if (JSON_OUT) await Deno.writeTextFile(JSON_OUT, JSON.stringify({ ...result, pass }, null, 2));
Deno.exit(pass ? 0 : 1);
