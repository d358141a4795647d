/**
 * @module The bubblewrap command line that confines one agent command: system folders
 * read-only, the workspace read-write, the state dir and home folder absent, a private `/tmp`,
 * `/proc` of its own pid namespace, no network unless allowed, and CPU-time and memory limits.
 */

import { isInsideDir } from "../../core/fs.ts";

/** What one sandboxed command may see and use. */
export interface SandboxSpec {
  /** Folders mounted read-write at their own paths (the agent's workspace first). */
  writable: readonly string[];
  /** Folders mounted read-only at their own paths (an MCP server's install folder). */
  readOnly?: readonly string[];
  /** Where the command starts (inside one of the folders above). */
  cwd: string;
  /** Folders that must not be visible even where a system folder holds them (state dir, home). */
  hidden: readonly string[];
  /** Keep the host's network (false: only a private loopback). */
  network: boolean;
  /** Environment inside the sandbox; nothing of the gateway's is passed otherwise. When absent,
   * the caller's environment passes as it is (MCP servers get the SDK's short safe list). */
  env?: Record<string, string>;
}

/** CPU and memory limits of an agent command tree. */
export interface SandboxLimits {
  /** CPU seconds the command tree may use (RLIMIT_CPU). */
  cpuSeconds: number;
  /** Writable memory the command may use, in MiB (RLIMIT_DATA; address-space reservations of
   * runtimes such as V8 are not counted, so node and deno still start). */
  memoryMb: number;
}

/**
 * System folders a command needs to run programs, mounted read-only when they exist. Home
 * folders, `/root`, `/var`, `/srv`, `/mnt`, `/media` and `/run` stay out.
 */
const SYSTEM_DIRS = ["/usr", "/etc", "/opt", "/nix/store"];
/** On merged-/usr systems these are links into `/usr`; elsewhere real folders. */
const TOP_LEVEL_LINKS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/** Where the resolver config often points (`/etc/resolv.conf` -> here) when the network is on. */
const RESOLVER_DIRS = ["/run/systemd/resolve", "/run/resolvconf"];

/** Reads how a top-level path exists on this host, so the sandbox mirrors it. */
export type PathKind = (path: string) => { link: string } | "dir" | undefined;

/**
 * Builds bubblewrap's arguments, up to and including `--`; the program to run follows.
 * Order matters: later mounts cover earlier ones, so hidden folders are covered by an empty
 * tmpfs first, and the workspace (and other named folders) are bound back on top where they live
 * inside one of them: a folder named on purpose wins over a hidden one.
 */
export function bwrapArgs(spec: SandboxSpec, pathKind: PathKind): string[] {
  const args = [
    "--die-with-parent", // the gateway's death ends the command
    "--new-session", // no TIOCSTI on a terminal the gateway might have
    "--unshare-all", // pid, ipc, uts, cgroup, user where allowed, and network
    ...(spec.network ? ["--share-net"] : []),
  ];
  if (spec.env) {
    args.push("--clearenv");
    for (const [name, value] of Object.entries(spec.env)) args.push("--setenv", name, value);
  }
  for (const dir of SYSTEM_DIRS) args.push("--ro-bind-try", dir, dir);
  for (const path of TOP_LEVEL_LINKS) {
    const kind = pathKind(path);
    if (kind === "dir") args.push("--ro-bind", path, path);
    else if (kind) args.push("--symlink", kind.link, path);
  }
  if (spec.network) { for (const dir of RESOLVER_DIRS) args.push("--ro-bind-try", dir, dir); }
  args.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--tmpfs", "/var/tmp");
  for (const dir of spec.hidden) {
    // Only a folder a system mount exposes needs covering; the rest is not there at all.
    if (SYSTEM_DIRS.some((system) => isInsideDir(dir, system))) args.push("--tmpfs", dir);
  }
  for (const dir of spec.readOnly ?? []) args.push("--ro-bind", dir, dir);
  for (const dir of spec.writable) args.push("--bind", dir, dir);
  args.push("--chdir", spec.cwd, "--");
  return args;
}

/**
 * The shell invocation inside the sandbox: limits are set by a fixed prelude in the outer
 * shell, and the agent's command is passed as an argument, never spliced into the prelude.
 * `ulimit` without -S sets the hard limit too, so the command cannot raise it.
 */
export function limitedShell(limits: SandboxLimits, command: string): string[] {
  const prelude = 'ulimit -t "$1" && ulimit -d "$2" && exec /bin/sh -c "$3"';
  const memoryKb = String(limits.memoryMb * 1024);
  return ["/bin/sh", "-c", prelude, "sandbox", String(limits.cpuSeconds), memoryKb, command];
}
