/**
 * @module Runs a shell command as the leader of its own process group (a new session on POSIX),
 * so a timeout or an abort kills everything it started, not only the shell. Output is capped:
 * past the cap it is read and dropped, so a chatty command never blocks on a full pipe.
 */

import { concatBytes } from "../core/bytes.ts";
import { type CommandLaunch, hostLaunch } from "./sandbox/command_sandbox.ts";

/** Options for {@linkcode runShellCommand}. */
export interface ShellRunOptions {
  cwd: string;
  timeoutMs: number;
  /** Bytes of stdout and stderr kept, together. */
  maxOutputBytes: number;
  signal?: AbortSignal;
  /** How the command is started; the host's shell when absent. */
  launch?: CommandLaunch;
}

/** What happened. */
export interface ShellRunResult {
  /** Exit code; null when the process was killed by a signal. */
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** True when output past `maxOutputBytes` was dropped. */
  truncated: boolean;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

/** How long output may keep flowing after the shell exits, from what it left behind. */
const DRAIN_GRACE_MS = 300;
/** How long the group gets between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 1_000;

const isWindows = Deno.build.os === "windows";

/**
 * Starts a shell command as the leader of a new process group, with stdout and stderr piped.
 * The one place agent commands are spawned (`exec`, `process`): `launch` says how (inside the
 * bubblewrap sandbox, or through the host's shell), and defaults to the host's shell.
 */
export function spawnShell(
  command: string,
  options: { cwd: string; stdin?: "null" | "piped"; launch?: CommandLaunch },
): Deno.ChildProcess {
  const launch = options.launch ?? hostLaunch(command);
  return new Deno.Command(launch.program, {
    args: launch.args,
    windowsRawArguments: isWindows,
    cwd: options.cwd,
    clearEnv: launch.clearEnv,
    stdin: options.stdin ?? "null",
    stdout: "piped",
    stderr: "piped",
    // A new session makes the shell a process-group leader: killing -pid reaches its children.
    detached: !isWindows,
  }).spawn();
}

/** Runs `command` through the platform's shell and collects its output. */
export async function runShellCommand(
  command: string,
  options: ShellRunOptions,
): Promise<ShellRunResult> {
  const started = performance.now();
  const child = spawnShell(command, { cwd: options.cwd, launch: options.launch });

  let budget = options.maxOutputBytes;
  let truncated = false;
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = [];
  const collect = async (stream: ReadableStream<Uint8Array>): Promise<string> => {
    const reader = stream.getReader();
    readers.push(reader);
    const chunks: Uint8Array[] = [];
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (budget <= 0) {
          truncated = true;
          continue;
        }
        const kept = value.length <= budget ? value : value.subarray(0, budget);
        if (kept.length < value.length) truncated = true;
        budget -= kept.length;
        chunks.push(kept);
      }
    } catch {
      // Cancelled after the drain grace: what was read so far is the output.
    }
    return new TextDecoder().decode(concatBytes(chunks));
  };
  const stdout = collect(child.stdout);
  const stderr = collect(child.stderr);

  let timedOut = false;
  let aborted = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (reason: "timeout" | "abort") => {
    if (timedOut || aborted) return;
    if (reason === "timeout") timedOut = true;
    else aborted = true;
    killTree(child.pid, "SIGTERM");
    killTimer = setTimeout(() => killTree(child.pid, "SIGKILL"), KILL_GRACE_MS);
  };
  const timer = setTimeout(() => stop("timeout"), options.timeoutMs);
  const onAbort = () => stop("abort");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  let status: Deno.CommandStatus;
  try {
    status = await child.status;
  } finally {
    clearTimeout(timer);
    clearTimeout(killTimer);
    options.signal?.removeEventListener("abort", onAbort);
  }
  // The shell is gone; whatever it left running in its group goes too, so the pipes close.
  killTree(child.pid, "SIGKILL");
  const drained = Promise.all([stdout, stderr]);
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<void>((resolve) => graceTimer = setTimeout(resolve, DRAIN_GRACE_MS));
  await Promise.race([drained, grace]);
  clearTimeout(graceTimer);
  for (const reader of readers) reader.cancel().catch(() => {});
  const [out, err] = await drained;
  return {
    exitCode: status.signal ? null : status.code,
    signal: status.signal,
    stdout: out,
    stderr: err,
    truncated,
    timedOut,
    aborted,
    durationMs: Math.round(performance.now() - started),
  };
}

/** Kills the process group led by `pid` (POSIX) or the process tree under it (Windows). */
export function killTree(pid: number, signal: Deno.Signal): void {
  try {
    if (isWindows) {
      new Deno.Command("taskkill", {
        args: ["/pid", String(pid), "/T", "/F"],
        stdout: "null",
        stderr: "null",
      })
        .spawn();
    } else {
      Deno.kill(-pid, signal);
    }
  } catch {
    // Already gone.
  }
}
