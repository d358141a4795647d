/**
 * @module Background commands of the `process` tool (and `exec` with `background`): started
 * through the same shell spawner as `exec`, output kept in a bounded buffer, stdin writable,
 * killed with their whole process group on `kill`, when their session is deleted or reset
 * (`tools.process.onSessionEnd`), and when the gateway stops.
 */

import { killTree, spawnShell } from "../_process_tree.ts";
import type { CommandLaunch } from "../sandbox/command_sandbox.ts";
import { OutputBuffer, type OutputCursor } from "./output_buffer.ts";

/** A background command as the tool reports it. */
export interface ProcessInfo {
  pid: number;
  command: string;
  cwd: string;
  agentId: string;
  sessionId: string;
  startedAt: string;
  running: boolean;
  exitCode: number | null;
  signal: string | null;
}

interface Entry {
  info: ProcessInfo;
  child: Deno.ChildProcess;
  output: OutputBuffer;
  /** Where the last `poll` stopped reading. */
  cursor: OutputCursor;
  stdin?: WritableStreamDefaultWriter<Uint8Array>;
  exited: Promise<void>;
  /** Wakes pollers waiting for output. */
  changed: Set<() => void>;
}

/** Limits, read from `tools.process` on every start. */
export interface ProcessLimits {
  /** Commands running at once (all agents). */
  maxRunning: number;
  /** Characters of output kept per process. */
  maxOutputChars: number;
}

/** How long a group gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2_000;
/** How long output may keep flowing after the shell exits (a child that left its group). */
const DRAIN_GRACE_MS = 500;
/** Finished processes kept for `list` / `log`. */
const KEEP_FINISHED = 32;

/** Every background command of the runtime. */
export class BackgroundProcesses {
  #entries = new Map<number, Entry>();
  #limits: () => ProcessLimits;
  #closed = false;

  constructor(limits: () => ProcessLimits) {
    this.#limits = limits;
  }

  /**
   * Starts `command` in `cwd`.
   *
   * @throws {Error} when too many run already, or the runtime is stopping
   */
  start(
    command: string,
    options: { cwd: string; agentId: string; sessionId: string; launch?: CommandLaunch },
  ): ProcessInfo {
    if (this.#closed) throw new Error("The gateway is stopping; no new processes");
    const limits = this.#limits();
    const running = [...this.#entries.values()].filter((e) => e.info.running).length;
    if (running >= limits.maxRunning) {
      throw new Error(
        `${running} processes run already (tools.process.maxRunning); kill one first`,
      );
    }
    const child = spawnShell(command, { cwd: options.cwd, stdin: "piped", launch: options.launch });
    const info: ProcessInfo = {
      pid: child.pid,
      command,
      cwd: options.cwd,
      agentId: options.agentId,
      sessionId: options.sessionId,
      startedAt: new Date().toISOString(),
      running: true,
      exitCode: null,
      signal: null,
    };
    const entry: Entry = {
      info,
      child,
      output: new OutputBuffer(limits.maxOutputChars),
      cursor: 0,
      stdin: child.stdin.getWriter(),
      exited: Promise.resolve(),
      changed: new Set(),
    };
    const wake = () => entry.changed.forEach((fn) => fn());
    const pump = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        entry.output.append(decoder.decode(chunk, { stream: true }));
        wake();
      }
    };
    const reading = Promise.all([pump(child.stdout), pump(child.stderr)]).catch(() => {});
    entry.exited = child.status.then(async (status) => {
      // What the shell left in its group goes too, so the pipes close and nothing lingers.
      killTree(child.pid, "SIGKILL");
      await settle(reading, DRAIN_GRACE_MS);
      info.running = false;
      info.exitCode = status.signal ? null : status.code;
      info.signal = status.signal;
      entry.stdin?.close().catch(() => {});
      wake();
      this.#prune();
    });
    this.#entries.set(child.pid, entry);
    return { ...info };
  }

  /** The processes an agent started (all agents' when none is given), newest first. */
  list(agentId?: string): ProcessInfo[] {
    return [...this.#entries.values()]
      .filter((e) => agentId === undefined || e.info.agentId === agentId)
      .map((e) => ({ ...e.info }))
      .reverse();
  }

  /**
   * Output written since the last poll; waits up to `timeoutMs` for some (or for the exit).
   *
   * @throws {Error} for an unknown pid
   */
  async poll(
    pid: number,
    agentId: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ info: ProcessInfo; output: string; lost: number }> {
    const entry = this.#get(pid, agentId);
    if (entry.info.running && entry.output.total === entry.cursor && timeoutMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          entry.changed.delete(done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        entry.changed.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
    const { text, lost } = entry.output.since(entry.cursor);
    entry.cursor = entry.output.total;
    return { info: { ...entry.info }, output: text, lost };
  }

  /** Everything still buffered, whatever was polled. */
  log(pid: number, agentId: string): { info: ProcessInfo; output: string; lost: number } {
    const entry = this.#get(pid, agentId);
    const { text, lost } = entry.output.since(0);
    return { info: { ...entry.info }, output: text, lost };
  }

  /** Writes to the process's stdin. */
  async write(pid: number, agentId: string, data: string): Promise<void> {
    const entry = this.#get(pid, agentId);
    if (!entry.info.running || !entry.stdin) throw new Error(`Process ${pid} has exited`);
    await entry.stdin.write(new TextEncoder().encode(data));
  }

  /** Kills the process's whole group and waits until it is gone. */
  async kill(pid: number, agentId?: string): Promise<ProcessInfo> {
    const entry = this.#get(pid, agentId);
    if (entry.info.running) await terminate(entry);
    return { ...entry.info };
  }

  /** Applies `onSessionEnd` to a session that was deleted or reset. */
  async endSession(agentId: string, sessionId: string, policy: "kill" | "keep"): Promise<void> {
    if (policy === "keep") return;
    await Promise.all(
      [...this.#entries.values()]
        .filter((e) =>
          e.info.running && e.info.agentId === agentId && e.info.sessionId === sessionId
        )
        .map(terminate),
    );
  }

  /** Kills everything still running; starts nothing after. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#entries.values()].filter((e) => e.info.running).map(terminate));
  }

  #get(pid: number, agentId: string | undefined): Entry {
    const entry = this.#entries.get(pid);
    // Another agent's process is as good as unknown: agents do not see each other's commands.
    if (!entry || (agentId !== undefined && entry.info.agentId !== agentId)) {
      throw new Error(`No background process with pid ${pid}; use action list`);
    }
    return entry;
  }

  #prune(): void {
    const finished = [...this.#entries.values()].filter((e) => !e.info.running);
    for (const entry of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED))) {
      this.#entries.delete(entry.info.pid);
    }
  }
}

/** SIGTERM to the group, SIGKILL after a grace period, then waits for the exit. */
async function terminate(entry: Entry): Promise<void> {
  killTree(entry.info.pid, "SIGTERM");
  const timer = setTimeout(() => killTree(entry.info.pid, "SIGKILL"), KILL_GRACE_MS);
  try {
    await entry.exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for `promise`, but no longer than `ms`. */
async function settle(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([promise, new Promise((resolve) => timer = setTimeout(resolve, ms))]);
  clearTimeout(timer);
}
