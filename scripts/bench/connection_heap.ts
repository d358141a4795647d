/**
 * @module What one connected, authenticated, idle WebSocket client costs the gateway's heap,
 * against a bare Deno server's (scripts/bench/bare_ws_server.ts): each server runs with its V8
 * inspector open, is collected and measured with no client and then with `--clients` idle ones
 * (held by scripts/bench/idle_clients.ts in their own process), and the difference is divided
 * by the clients. With `--snapshots DIR`, heap snapshots are written there too and the
 * gateway's growth is listed by V8 object kind (constructor, closure or string), largest first.
 *
 * Usage: deno run -A scripts/bench/connection_heap.ts [--clients 1000] [--snapshots DIR]
 */

import {
  deno,
  flag,
  freePort,
  holdIdleClients,
  machine,
  printTable,
  root,
  sleep,
  stopTree,
  track,
} from "./_common.ts";

const CLIENTS = flag("clients", 1000);
const snapshotsAt = Deno.args.indexOf("--snapshots");
const SNAPSHOTS = snapshotsAt >= 0 ? Deno.args[snapshotsAt + 1] : undefined;
const TOKEN = "bench-token-0123456789abcdef";
const CONNECT = { minProtocol: 3, maxProtocol: 3, auth: { token: TOKEN } };

/** A Chrome DevTools Protocol session over the server's inspector socket. */
async function inspector(url: string) {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 1;
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  let chunks: string[] = [];
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.method === "HeapProfiler.addHeapSnapshotChunk") chunks.push(message.params.chunk);
    pending.get(message.id)?.(message.result ?? {});
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      socket.send(JSON.stringify({ id, method, params }));
    });
  return {
    /** Bytes of live heap after two full collections. */
    async usedHeap(): Promise<number> {
      await send("HeapProfiler.collectGarbage");
      await send("HeapProfiler.collectGarbage");
      return (await send("Runtime.getHeapUsage")).usedSize as number;
    },
    async snapshot(file: string): Promise<void> {
      chunks = [];
      await send("HeapProfiler.takeHeapSnapshot", { reportProgress: false });
      await Deno.writeTextFile(file, chunks.join(""));
    },
    close: () => socket.close(),
  };
}

/**
 * Starts `args` with the inspector on; returns the child and the inspector's URL (which Deno
 * does not print under `--quiet`).
 */
async function inspected(args: string[]) {
  const child = track(
    new Deno.Command(deno, {
      args: ["run", "--inspect=127.0.0.1:0", ...args],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn(),
  );
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  for (;;) {
    const url = text.match(/Debugger listening on (ws:\/\/\S+)/)?.[1];
    if (url) {
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return { child, url };
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`No inspector URL: ${text}`);
    text += value;
  }
}

async function waitForHealth(port: number) {
  for (;;) {
    const body = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.text(),
      () => "",
    );
    if (body === "ok" || body.includes('"ok"')) return;
    await sleep(100);
  }
}

/** Heap per idle client of one server, in bytes. */
async function measure(name: string, args: string[], port: number, connect?: unknown) {
  const { child, url } = await inspected(args);
  await waitForHealth(port);
  await sleep(3_000); // start-up's own collection and timers settle
  const session = await inspector(url);
  const before = await session.usedHeap();
  if (SNAPSHOTS) await session.snapshot(`${SNAPSHOTS}/${name}-0.heapsnapshot`);
  const idle = await holdIdleClients(`ws://127.0.0.1:${port}`, CLIENTS, connect);
  await sleep(2_000); // the coalesced presence event
  const after = await session.usedHeap();
  if (SNAPSHOTS) await session.snapshot(`${SNAPSHOTS}/${name}-${CLIENTS}.heapsnapshot`);
  await idle.close();
  session.close();
  await stopTree(child, 5_000);
  return { connected: idle.connected, perClient: (after - before) / idle.connected };
}

/** Self sizes summed by node type and name. */
async function heapByKind(file: string): Promise<Map<string, { size: number; count: number }>> {
  const snapshot = JSON.parse(await Deno.readTextFile(file));
  const fields: string[] = snapshot.snapshot.meta.node_fields;
  const types: string[] = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const kinds = new Map<string, { size: number; count: number }>();
  const nodes: number[] = snapshot.nodes;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const name = type === "string" || type === "concatenated string" || type === "sliced string"
      ? "(strings)"
      : String(snapshot.strings[nodes[i + nameAt]]).slice(0, 60);
    const key = `${type}: ${name}`;
    const kind = kinds.get(key) ?? { size: 0, count: 0 };
    kind.size += nodes[i + sizeAt];
    kind.count++;
    kinds.set(key, kind);
  }
  return kinds;
}

const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-conn-heap-" });
await Deno.writeTextFile(
  `${stateDir}/pyclaw.json`,
  JSON.stringify({ logging: { consoleLevel: "silent" } }),
);
// The gateway (started with this process's environment) keeps its state there.
Deno.env.set("PYCLAW_STATE_DIR", stateDir);
const gatewayPort = freePort();
const gateway = await measure(
  "gateway",
  [
    "--permission-set=pyclaw",
    "--v8-flags=--expose-gc",
    "--no-lock",
    "--no-prompt",
    `${root}main.ts`,
    "gateway",
    "run",
    "--port",
    String(gatewayPort),
    "--bind",
    "127.0.0.1",
    "--auth-token",
    TOKEN,
  ],
  gatewayPort,
  CONNECT,
);
await Deno.remove(stateDir, { recursive: true });
const floorPort = freePort();
const floor = await measure(
  "floor",
  ["-A", "--no-lock", `${root}scripts/bench/bare_ws_server.ts`, String(floorPort)],
  floorPort,
  // The same connect frame, which the bare server answers with an empty success: a socket
  // that has received a message holds a little more (the last event) than one that has not.
  CONNECT,
);

console.log(`connection_heap — ${new Date().toISOString()}`);
console.log(`Machine: ${machine()}`);
const kb = (bytes: number) => (bytes / 1024).toFixed(2);
printTable(["measure", "pyclaw", "floor"], [
  ["idle clients connected", `${gateway.connected}`, `${floor.connected}`],
  ["heap per idle client (KB)", kb(gateway.perClient), kb(floor.perClient)],
]);
if (SNAPSHOTS) {
  const [empty, full] = await Promise.all([
    heapByKind(`${SNAPSHOTS}/gateway-0.heapsnapshot`),
    heapByKind(`${SNAPSHOTS}/gateway-${CLIENTS}.heapsnapshot`),
  ]);
  const growth = [...full].map(([key, { size, count }]) => ({
    key,
    size: size - (empty.get(key)?.size ?? 0),
    count: count - (empty.get(key)?.count ?? 0),
  })).filter((g) => g.size > 0).sort((a, b) => b.size - a.size).slice(0, 30);
  printTable(
    ["gateway growth by kind", "bytes per client", "objects per client"],
    growth.map((g) => [
      g.key,
      (g.size / gateway.connected).toFixed(0),
      (g.count / gateway.connected).toFixed(2),
    ]),
  );
}
Deno.exit(0);
