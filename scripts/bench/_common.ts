/**
 * @module Helpers shared by the scripts in scripts/bench/: flags, ports, percentiles, process
 * trees (RSS summed over a process and its children, stopping without leaving any behind), the
 * stand-in upstream, OpenAI-compatible request timers and the machine line every run prints.
 */

export const root = new URL("../../", import.meta.url).pathname;
export const deno = `${root}node_modules/.bin/deno`;

/** A numeric `--name value` flag. */
export function flag(name: string, fallback: number): number {
  const at = Deno.args.indexOf(`--${name}`);
  return at >= 0 ? Number(Deno.args[at + 1]) : fallback;
}

/** The checkout `--tree DIR` names (its own scripts/pyclaw and node_modules), else this one. */
export function treeFlag(): string {
  const at = Deno.args.indexOf("--tree");
  return at >= 0 ? Deno.realPathSync(Deno.args[at + 1]) : root.replace(/\/$/, "");
}

export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The value at percentile `p` (nearest rank) of unsorted `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const median = (values: number[]) => percentile(values, 50);
export const ms = (value: number) => `${value.toFixed(3)} ms`;

/** The ids of every live descendant of `pid`, children first. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    try {
      // The command name may hold spaces and parentheses: the ppid follows the last ")".
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry.name)]);
    } catch { /* exited while listing */ }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const child of children.get(parent) ?? []) {
      found.push(child);
      walk(child);
    }
  };
  walk(pid);
  return found;
}

function rssKb(pid: number): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** RSS in MB of `pid` alone and of it with all its descendants (helpers, workers, sidecars). */
export function rssMb(pid: number): { main: number; tree: number } {
  const main = rssKb(pid);
  const tree = descendants(pid).reduce((sum, child) => sum + rssKb(child), main);
  return { main: main / 1024, tree: tree / 1024 };
}

/**
 * CPU milliseconds `pid` has used so far, all its threads (V8's compiler and collector threads
 * too), from the scheduler's nanosecond counts: less moved by the machine's load than wall time.
 * Live threads only: a thread that ends between two readings takes its CPU out of the
 * difference (a terminated Worker's 400 ms read as -413 ms in review). A gateway's threads are
 * V8's and tokio's, which live as long as it; an idle one parks a few spare ones after 10-30 s,
 * having used little. `/proc/<pid>/stat` counts ended threads too, but in 10 ms ticks, too
 * coarse for a start's ~100 ms.
 */
export function cpuMs(pid: number, threads: "all" | "background" | "main" = "all"): number {
  let ns = 0;
  if (threads === "main") {
    // The main thread's id is the process's: one file, read once.
    try {
      return Number(Deno.readTextFileSync(`/proc/${pid}/task/${pid}/schedstat`).split(" ")[0]) /
        1e6;
    } catch {
      return 0; // the process ended
    }
  }
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      // "background": all but the main thread (the one whose id is the process's), i.e. V8's
      // compiler and collector helpers and tokio's workers.
      if (threads === "background" && task.name === String(pid)) continue;
      try {
        ns += Number(
          Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/schedstat`).split(" ")[0],
        );
      } catch { /* the thread ended while listing */ }
    }
  } catch { /* the process ended */ }
  return ns / 1e6;
}

const live = new Set<Deno.ChildProcess>();
const cleanups: (() => void)[] = [];
let trapped = false;

/** Registers a synchronous clean-up (temporary folders) that Ctrl-C runs after the kills. */
export function atInterrupt(cleanup: () => void): void {
  cleanups.push(cleanup);
}

/**
 * Remembers a child so that Ctrl-C (or SIGTERM) kills its whole tree before the script exits.
 * Returns the child.
 */
export function track(child: Deno.ChildProcess): Deno.ChildProcess {
  live.add(child);
  child.status.then(() => live.delete(child));
  if (!trapped) {
    trapped = true;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => {
        for (const running of live) {
          for (const pid of [running.pid, ...descendants(running.pid)]) {
            try {
              Deno.kill(pid, "SIGKILL");
            } catch { /* already exited */ }
          }
        }
        for (const cleanup of cleanups) {
          try {
            cleanup();
          } catch { /* best effort on the way out */ }
        }
        Deno.exit(130);
      });
    }
  }
  return child;
}

/**
 * Stops a child and everything it started: SIGTERM to the child, a grace period, then SIGKILL
 * to whatever of its tree is still alive, so no sidecar outlives a run.
 */
export async function stopTree(child: Deno.ChildProcess, graceMs = 15_000): Promise<void> {
  const tree = descendants(child.pid);
  try {
    child.kill("SIGTERM");
  } catch { /* already gone */ }
  // `within` clears its timer once the child exits: a grace timer left armed kept the script
  // alive after its last line (15 of bench:quick's 48 s).
  const exited = await within(child.status, graceMs).then(() => true, () => false);
  if (!exited) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone meanwhile */ }
    await child.status;
  }
  await sleep(200);
  for (const pid of [...tree, ...descendants(child.pid)]) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* already exited */ }
  }
}

/** The first line a child prints on stdout (its URL, for the stand-in upstream). */
export async function firstLine(child: Deno.ChildProcess): Promise<string> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("The child exited before printing its first line");
    text += value;
  }
  reader.releaseLock();
  return text.split("\n")[0].trim();
}

/**
 * `scripts/pyclaw gateway run` of the checkout at `tree` (default: this one) on 127.0.0.1:`port`
 * with the gateway token `token` and the state dir `stateDir`; its output is discarded.
 */
export function spawnGateway(options: {
  tree?: string;
  port: number;
  token: string;
  stateDir: string;
  env?: Record<string, string>;
}): Deno.ChildProcess {
  const { tree = root.replace(/\/$/, ""), port, token, stateDir, env = {} } = options;
  return new Deno.Command(`${tree}/scripts/pyclaw`, {
    args: ["gateway", "run", "--port", String(port), "--bind", "127.0.0.1", "--auth-token", token],
    env: { PYCLAW_STATE_DIR: stateDir, ...env },
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/**
 * Runs `scripts/bench/<script>` with `args` in a tracked child process, its stdout piped (read
 * its first line with {@linkcode firstLine}).
 */
export function spawnBenchScript(
  script: string,
  args: string[],
  options: { stdin?: "piped" | "null"; stderr?: "inherit" | "null" } = {},
): Deno.ChildProcess {
  return track(
    new Deno.Command(deno, {
      args: ["run", "-A", "--no-lock", "--quiet", `${root}scripts/bench/${script}`, ...args],
      stdin: options.stdin ?? "null",
      stdout: "piped",
      stderr: options.stderr ?? "null",
    }).spawn(),
  );
}

/** The stand-in OpenAI upstream (scripts/bench/_fake_upstream.ts) in its own process. */
export async function startFakeUpstream(chunks: number) {
  const child = spawnBenchScript("_fake_upstream.ts", [String(chunks)]);
  const url = await firstLine(child);
  return {
    url,
    async stop() {
      await stopTree(child);
      await child.stdout.cancel().catch(() => {});
    },
  };
}

/**
 * The bare proxy (scripts/bench/bare_proxy.ts) in front of `upstreamUrl`: the floor of the `/v1`
 * rows, over kept connections or (`viaFetch`) Deno's fetch. Its child, port and base URL.
 */
export async function startBareProxy(upstreamUrl: string, viaFetch = false) {
  const port = freePort();
  const child = spawnBenchScript("bare_proxy.ts", [
    upstreamUrl,
    String(port),
    ...(viaFetch ? ["--fetch"] : []),
  ]);
  await firstLine(child);
  return { child, port, base: `http://127.0.0.1:${port}` };
}

export interface ChatTarget {
  /** The base URL ending in `/v1`. */
  base: string;
  headers: Record<string, string>;
  model: string;
  /** OpenAI's `user` field: gateways that run agents name the session after it. */
  user?: string;
}

const chatBody = (target: ChatTarget, stream: boolean) =>
  JSON.stringify({
    model: target.model,
    messages: [{ role: "user", content: "Say something" }],
    stream,
    ...(target.user ? { user: target.user } : {}),
  });

/** One non-streaming `/chat/completions` round trip, in ms. */
export async function nonStreaming(target: ChatTarget): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${target.base}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...target.headers },
    body: chatBody(target, false),
  });
  const reply = await response.json();
  if (!response.ok) throw new Error(`Non-streaming request failed: ${JSON.stringify(reply)}`);
  return performance.now() - started;
}

/** Time to the first content chunk, the whole stream's time, and the content chunks seen. */
export async function streaming(
  target: ChatTarget,
): Promise<{ first: number; total: number; chunks: number }> {
  const started = performance.now();
  const response = await fetch(`${target.base}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...target.headers },
    body: chatBody(target, true),
  });
  if (!response.ok) throw new Error(`Streaming request failed: ${await response.text()}`);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let first = 0;
  let chunks = 0;
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const frames = buffer.split("\n\n");
    buffer = frames.pop()!;
    for (const frame of frames) {
      if (!/"content":\s*"word/.test(frame)) continue;
      chunks += 1;
      if (!first) first = performance.now() - started;
    }
  }
  return { first, total: performance.now() - started, chunks };
}

/** CPU model, cores, memory, load average and runtime: printed with every result. */
export function machine(): string {
  const read = (path: string) => {
    try {
      return Deno.readTextFileSync(path);
    } catch {
      return "";
    }
  };
  const cpu = read("/proc/cpuinfo").match(/model name\s*:\s*(.+)/)?.[1] ?? "unknown CPU";
  const memGb = Number(read("/proc/meminfo").match(/MemTotal:\s+(\d+)/)?.[1] ?? 0) / 1024 ** 2;
  const load = read("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  return `${cpu}, ${navigator.hardwareConcurrency} cores, ${memGb.toFixed(0)} GB RAM, ` +
    `load average ${load}, ${Deno.build.os}, Deno ${Deno.version.deno}`;
}

/** Prints rows as a padded table: the first column left-aligned, the rest right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  for (const row of rows) console.log(line(row));
}

export interface RpcReply {
  ok: boolean;
  payload?: unknown;
  error?: { code?: string; message?: string; retryable?: boolean };
}

/** A request/response client over one open socket; events (challenges, ticks) are ignored. */
export function rpc(socket: WebSocket): (method: string, params?: unknown) => Promise<RpcReply> {
  let next = 1;
  const pending = new Map<string, (reply: RpcReply) => void>();
  let closed: string | undefined;
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    if (frame.type !== "res") return;
    pending.get(String(frame.id))?.(frame);
    pending.delete(String(frame.id));
  });
  socket.addEventListener("close", (event) => {
    closed = `closed ${event.code} ${event.reason}`;
    for (const resolve of pending.values()) resolve({ ok: false, error: { message: closed } });
    pending.clear();
  });
  return (method, params = {}) =>
    new Promise((resolve) => {
      if (closed) return resolve({ ok: false, error: { message: closed } });
      const id = String(next++);
      pending.set(id, resolve);
      socket.send(JSON.stringify({ type: "req", id, method, params }));
    });
}

export function openSocket(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.onopen = () => resolve(socket);
    socket.onerror = () => reject(new Error(`Cannot connect to ${url}`));
  });
}

/**
 * Opens a socket and, given `connect` params, completes the handshake.
 *
 * @throws {Error} when the socket cannot open or the handshake is refused (the socket is closed)
 */
export async function wsSession(url: string, connect?: unknown) {
  const socket = await openSocket(url);
  const call = rpc(socket);
  if (connect) {
    const hello = await call("connect", connect);
    if (!hello.ok) {
      socket.close();
      throw new Error(`connect refused: ${JSON.stringify(hello.error)}`);
    }
  }
  return { socket, call };
}

/**
 * `count` idle clients connected to `url` from a process of their own
 * (scripts/bench/idle_clients.ts), so the measuring process carries none of them; `close()`
 * disconnects them all and ends the process.
 */
export async function holdIdleClients(url: string, count: number, connect?: unknown) {
  const child = spawnBenchScript(
    "idle_clients.ts",
    [url, String(count), ...(connect ? [JSON.stringify(connect)] : [])],
    { stdin: "piped", stderr: "inherit" },
  );
  const connected = Number((await firstLine(child)).replace("connected ", ""));
  return {
    connected,
    async close() {
      await child.stdin.close();
      await child.status;
    },
  };
}

/**
 * `promise`, or a rejection after `ms`, its timer cleared either way: a client the server never
 * answers must not hang a run, and a thousand clients' timers left armed would fire while they
 * should be idle.
 */
export function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
