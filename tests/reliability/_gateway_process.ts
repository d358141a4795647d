/**
 * @module `scripts/pyclaw gateway run` as a real child process over a given state dir, with what
 * crash and soak runs read from `/proc`: its descendants, RSS and open file descriptors.
 */

import { join } from "node:path";
import { waitFor } from "../_helpers/assert.ts";
import { freePort } from "../_helpers/net.ts";

const PYCLAW = new URL("../../scripts/pyclaw", import.meta.url).pathname;
export const PROCESS_TOKEN = "reliability-token-0123456789abcdef";

/** A gateway child process. */
export interface GatewayProcess {
  pid: number;
  port: number;
  url: string;
  httpUrl: string;
  child: Deno.ChildProcess;
  /** Stops it with SIGTERM (SIGKILL after 10 s) and waits for the exit. */
  stop(): Promise<Deno.CommandStatus>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<Deno.CommandStatus>;
}

/** Writes `config` (with quiet console logging) as the state dir's `pyclaw.json`. */
export async function writeConfig(stateDir: string, config: Record<string, unknown>) {
  await Deno.mkdir(stateDir, { recursive: true });
  const logging = { consoleLevel: "error", ...(config.logging as object | undefined) };
  await Deno.writeTextFile(
    join(stateDir, "pyclaw.json"),
    JSON.stringify({ ...config, logging }, null, 2),
  );
}

/** Starts the gateway over `stateDir` on a free port and waits until `/health` answers. */
export async function startGatewayProcess(
  stateDir: string,
  options: { port?: number; timeoutMs?: number; v8Flags?: string; env?: Record<string, string> } =
    {},
): Promise<GatewayProcess> {
  const port = options.port ?? freePort();
  const env: Record<string, string> = {
    PYCLAW_STATE_DIR: stateDir,
    NO_COLOR: "1",
    ...options.env,
  };
  if (options.v8Flags) env.DENO_V8_FLAGS = options.v8Flags;
  const child = new Deno.Command(PYCLAW, {
    args: ["gateway", "run", "--port", String(port), "--auth-token", PROCESS_TOKEN],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const httpUrl = `http://127.0.0.1:${port}`;
  const healthy = () =>
    fetch(`${httpUrl}/health`).then(async (response) => {
      await response.body?.cancel();
      return response.ok;
    }, () => false); // not listening yet
  await waitFor(healthy, options.timeoutMs ?? 20_000, `the gateway to answer /health on ${port}`)
    .catch(async (error) => {
      child.kill("SIGKILL");
      await child.status;
      throw error;
    });
  const kill = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    return await child.status;
  };
  const stop = async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already gone
    }
    const timer = setTimeout(() => kill(), 10_000);
    const status = await child.status;
    clearTimeout(timer);
    return status;
  };
  return { pid: child.pid, port, url: `ws://127.0.0.1:${port}`, httpUrl, child, stop, kill };
}

/** Every live descendant of `pid` (children, their children, …) from `/proc`. */
export async function descendants(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await readStat(Number(entry.name));
    if (stat) parents.set(Number(entry.name), stat.ppid);
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** The state and parent of a process, or undefined when it is gone. */
export async function readStat(pid: number): Promise<{ state: string; ppid: number } | undefined> {
  try {
    const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

/** The command line of a process, for reports. */
export async function commandLine(pid: number): Promise<string> {
  try {
    return (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** Resident memory in bytes (VmRSS). */
export async function rssBytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const kb = Number(status.match(/^VmRSS:\s+(\d+) kB/m)?.[1] ?? NaN);
  return kb * 1024;
}

/** How many file descriptors the process has open. */
export async function fdCount(pid: number): Promise<number> {
  let count = 0;
  for await (const _ of Deno.readDir(`/proc/${pid}/fd`)) count++;
  return count;
}

/** Open file descriptors by kind (socket, pipe, anon_inode:[eventfd], or a file path). */
export async function fdKinds(pid: number): Promise<Record<string, number>> {
  const kinds: Record<string, number> = {};
  for await (const entry of Deno.readDir(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = await Deno.readLink(`/proc/${pid}/fd/${entry.name}`);
    } catch {
      continue;
    }
    const kind = target.replace(/:\[\d+\]$/, "").replace(/^\/tmp\/pyclaw-[^/]+/, "<state>");
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/**
 * The process's TCP sockets by the port at the far end (`remote:<port>`) or, for accepted and
 * listening ones, the local port (`local:<port>`), read from /proc/<pid>/net/tcp.
 */
export async function socketPorts(
  pid: number,
  localPorts: number[],
): Promise<Record<string, number>> {
  const byInode = new Map<string, string>();
  for (const table of ["tcp", "tcp6"]) {
    const text = await Deno.readTextFile(`/proc/${pid}/net/${table}`).catch(() => "");
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const local = parseInt(cols[1].split(":")[1], 16);
      const remote = parseInt(cols[2].split(":")[1], 16);
      byInode.set(cols[9], localPorts.includes(local) ? `local:${local}` : `remote:${remote}`);
    }
  }
  const counts: Record<string, number> = {};
  for await (const entry of Deno.readDir(`/proc/${pid}/fd`)) {
    const target = await Deno.readLink(`/proc/${pid}/fd/${entry.name}`).catch(() => "");
    const inode = target.match(/^socket:\[(\d+)\]$/)?.[1];
    if (!inode) continue;
    const key = byInode.get(inode) ?? "other";
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Waits until none of `pids` is alive (zombies count as gone); returns the ones still alive. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const alive: number[] = [];
    for (const pid of pids) {
      const stat = await readStat(pid);
      if (stat && stat.state !== "Z" && stat.state !== "X") alive.push(pid);
    }
    if (!alive.length || Date.now() > deadline) return alive;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
