/**
 * @module Benchmark of the gateway against the floor (a bare Deno.serve WebSocket server), side
 * by side in one run: cold start to the first answered health, idle RSS, health round trips on
 * one connection, and 1,000 concurrent connections each doing connect + health.
 *
 * Usage: node_modules/.bin/deno run -A scripts/bench/gateway.ts [--rounds 5] [--clients 1000]
 */

import { deno, flag, freePort, machine, median, percentile, root } from "./_common.ts";

const ROUNDS = flag("rounds", 5);
const CLIENTS = flag("clients", 1000);
const TOKEN = "bench-token-0123456789abcdef";

interface Target {
  name: string;
  start(port: number): Deno.ChildProcess;
  handshake: boolean;
}

const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-bench-" });
await Deno.writeTextFile(
  `${stateDir}/pyclaw.json`,
  JSON.stringify({
    gateway: {
      http: { port: false },
      limits: {
        maxConnectionsPerAddress: CLIENTS + 100,
        requestsPerSecond: 100000,
        requestBurst: 100000,
      },
    },
    logging: { consoleLevel: "warn" },
    update: { enabled: false },
  }),
);

const targets: Target[] = [
  {
    name: "bare Deno.serve",
    handshake: false,
    // Started through a shell like the gateway's launcher, for a like-for-like start time.
    start: (port) =>
      new Deno.Command("bash", {
        args: [
          "-c",
          `exec "${deno}" run -A --no-lock --quiet "${root}scripts/bench/bare_ws_server.ts" ${port}`,
        ],
        stdout: "null",
        stderr: "null",
      }).spawn(),
  },
  {
    name: "pyclaw gateway",
    handshake: true,
    start: (port) =>
      new Deno.Command(`${root}scripts/pyclaw`, {
        args: ["gateway", "run", "--port", String(port), "--auth-token", TOKEN],
        env: { PYCLAW_STATE_DIR: stateDir },
        stdout: "null",
        stderr: "null",
      }).spawn(),
  },
];

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error("connect failed"));
  });
}

/** A minimal request/response client over one socket. */
function rpc(socket: WebSocket) {
  let next = 1;
  const pending = new Map<string, (frame: { ok: boolean }) => void>();
  let closed: string | undefined;
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type === "res") pending.get(String(frame.id))?.(frame);
    pending.delete(String(frame.id));
  };
  socket.addEventListener("close", (event) => {
    closed = `closed ${event.code} ${event.reason}`;
    for (const resolve of pending.values()) {
      resolve({ ok: false, error: closed } as { ok: boolean });
    }
    pending.clear();
  });
  return (method: string, params: unknown = {}) =>
    new Promise<{ ok: boolean }>((resolve) => {
      if (closed) return resolve({ ok: false, error: closed } as { ok: boolean });
      const id = String(next++);
      pending.set(id, resolve);
      socket.send(JSON.stringify({ type: "req", id, method, params }));
    });
}

async function session(url: string, handshake: boolean) {
  const socket = await open(url);
  const call = rpc(socket);
  if (handshake) {
    const hello = await call("connect", {
      minProtocol: 3,
      maxProtocol: 3,
      clientName: "bench",
      auth: { token: TOKEN },
    });
    if (!hello.ok) throw new Error(`connect refused: ${JSON.stringify(hello)}`);
  }
  return { socket, call };
}

async function coldStart(
  target: Target,
): Promise<{ ms: number; child: Deno.ChildProcess; url: string }> {
  const port = freePort();
  const url = `ws://127.0.0.1:${port}`;
  const started = performance.now();
  const child = target.start(port);
  for (;;) {
    try {
      const { socket, call } = await session(url, target.handshake);
      const reply = await call("health");
      if (!reply.ok) throw new Error("health failed");
      const ms = performance.now() - started;
      socket.close();
      return { ms, child, url };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}

async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(status.match(/VmRSS:\s+(\d+)/)![1]) / 1024;
}

const best = (xs: number[]) => Math.min(...xs);

async function stop(child: Deno.ChildProcess) {
  try {
    child.kill("SIGTERM");
  } catch { /* already gone */ }
  await child.status;
}

const results: Record<string, Record<string, number>> = {};
const progress = (text: string) => console.error(`… ${text}`);
for (const target of targets) {
  progress(`${target.name}: cold starts`);
  const starts: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const { ms, child } = await coldStart(target);
    starts.push(ms);
    await stop(child);
  }
  const { child, url } = await coldStart(target);
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const idleRss = await rssMb(child.pid);

  progress(`${target.name}: round trips`);
  const { socket, call } = await session(url, target.handshake);
  for (let i = 0; i < 500; i++) await call("health"); // warm-up
  const times: number[] = [];
  const loopStart = performance.now();
  for (let i = 0; i < 5_000; i++) {
    const t = performance.now();
    await call("health");
    times.push(performance.now() - t);
  }
  const perSecond = 5_000 / ((performance.now() - loopStart) / 1000);
  socket.close();
  times.sort((a, b) => a - b);

  progress(`${target.name}: ${CLIENTS} concurrent clients`);
  const burstStart = performance.now();
  const outcomes = await Promise.allSettled(
    Array.from({ length: CLIENTS }, async () => {
      const { socket, call } = await session(url, target.handshake);
      const reply = await call("health");
      socket.close();
      return reply.ok;
    }),
  );
  const burstMs = performance.now() - burstStart;
  const answered = outcomes.filter((o) => o.status === "fulfilled" && o.value).length;
  const failures = new Map<string, number>();
  for (const o of outcomes) {
    const reason = o.status === "rejected"
      ? String((o.reason as Error).message ?? o.reason)
      : o.value
      ? ""
      : "health failed";
    if (reason) failures.set(reason, (failures.get(reason) ?? 0) + 1);
  }
  if (failures.size) {
    progress(`${target.name}: failures ${JSON.stringify(Object.fromEntries(failures))}`);
  }
  const rssAfter = await rssMb(child.pid);
  await stop(child);

  results[target.name] = {
    "cold start best (ms)": best(starts),
    "cold start median (ms)": median(starts),
    "idle RSS (MB)": idleRss,
    "health p50 (ms)": percentile(times, 50),
    "health p99 (ms)": percentile(times, 99),
    "health per second": perSecond,
    [`${CLIENTS} clients: answered`]: answered,
    [`${CLIENTS} clients: total (ms)`]: burstMs,
    "RSS after burst (MB)": rssAfter,
  };
}
await Deno.remove(stateDir, { recursive: true });

const [floor, gateway] = targets.map((t) => results[t.name]);
const rows = Object.keys(gateway).map((metric) => {
  const ratio = floor[metric] ? gateway[metric] / floor[metric] : NaN;
  return [
    metric,
    floor[metric].toFixed(2),
    gateway[metric].toFixed(2),
    Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "-",
  ];
});
console.log(`Machine: ${machine()}; ${ROUNDS} cold-start rounds`);
const widths = [28, 16, 16, 10];
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("");
console.log(line(["metric", "bare Deno.serve", "pyclaw", "ratio"]));
for (const row of rows) console.log(line(row));
