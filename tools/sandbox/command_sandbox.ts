/**
 * @module Where agent commands run: inside bubblewrap when `tools.exec.sandbox` (or the agent's
 * own setting) says `bwrap`, or by default where bubblewrap works; on the host with `none`, or
 * by default where it does not (macOS, Windows, no user namespaces), which doctor and the
 * gateway's start line say plainly.
 */

import { dirname, isAbsolute } from "../../core/path.ts";
import type { Config } from "../../core/config/schema.ts";
import { isInsideDir } from "../../core/fs.ts";
import { bwrapArgs, limitedShell, type PathKind, type SandboxSpec } from "./bwrap_args.ts";

/** Whether bubblewrap can confine commands on this host, and if not, why. */
export type SandboxAvailability = { available: true; version: string } | {
  available: false;
  reason: string;
};

/** The program and arguments that run one shell command (possibly inside the sandbox). */
export interface CommandLaunch {
  program: string;
  args: string[];
  /** The environment, when the launch replaces the gateway's (the sandbox passes its own). */
  clearEnv?: boolean;
  /** True when the command runs confined. */
  sandboxed: boolean;
}

/** The exec sandbox settings in force for one agent. */
export interface ExecSandboxSettings {
  /** `undefined`: bubblewrap where it works. */
  mode: "bwrap" | "none" | undefined;
  network: boolean;
  cpuSeconds: number;
  memoryMb: number;
}

/** Reads `tools.exec` with the agent's `tools.exec` (or `agents.defaults.tools.exec`) on top. */
export function execSandboxSettings(config: Config, agentId: string): ExecSandboxSettings {
  const global = config.tools.exec;
  const agent = config.agents.list.find((entry) => entry.id === agentId)?.tools?.exec;
  const defaults = config.agents.defaults.tools?.exec;
  return {
    mode: agent?.sandbox ?? defaults?.sandbox ?? global.sandbox,
    network: agent?.network ?? defaults?.network ?? global.network,
    cpuSeconds: global.limits.cpuSeconds,
    memoryMb: global.limits.memoryMb,
  };
}

/** Options of {@linkcode CommandSandbox}. */
export interface CommandSandboxOptions {
  /** Folders commands must never see: the state dir, the config file's folder, home. */
  hidden: string[];
  /** The gateway's environment; only PATH and locale settings pass into the sandbox. */
  env: Record<string, string | undefined>;
  /** The bubblewrap program. @default "bwrap" */
  bwrap?: string;
}

/**
 * What sandboxed commands and servers never see: the state dir (token, config, sessions, device
 * keys), the config file's folder and the home folder. Named folders such as the workspace are
 * mounted back where they live inside these.
 */
export function hiddenFromCommands(
  stateDir: string,
  configPath: string,
  env: Record<string, string | undefined>,
): string[] {
  const candidates = [stateDir, dirname(configPath), env.HOME];
  return [...new Set(candidates.filter((p): p is string => !!p && isAbsolute(p)))];
}

/** Environment variables carried into the sandbox (never tokens or keys). */
const PASSED_ENV = ["PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ"];
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";

/** Builds the launch of each agent command; probes bubblewrap once, on first use. */
export class CommandSandbox {
  #options: CommandSandboxOptions;
  #probe?: Promise<
    { availability: SandboxAvailability; layout: Map<string, ReturnType<PathKind>> }
  >;

  constructor(options: CommandSandboxOptions) {
    this.#options = options;
  }

  /** Whether bubblewrap works here (probed once: a real `bwrap ... true`). */
  async availability(): Promise<SandboxAvailability> {
    return (await this.#probed()).availability;
  }

  /**
   * The launch of `command` in `cwd` for an agent with these settings.
   *
   * @throws {Error} when the settings ask for `bwrap` and it does not work here
   */
  async launch(
    command: string,
    where: { workspace: string; cwd: string },
    settings: ExecSandboxSettings,
  ): Promise<CommandLaunch> {
    if (settings.mode === "none") return hostLaunch(command);
    const { availability, layout } = await this.#probed();
    if (!availability.available) {
      if (settings.mode === "bwrap") {
        throw new Error(
          `tools.exec.sandbox is "bwrap" but the sandbox does not work here: ` +
            `${availability.reason}; the command was not run`,
        );
      }
      return hostLaunch(command);
    }
    const spec: SandboxSpec = {
      writable: isInsideDir(where.cwd, where.workspace)
        ? [where.workspace]
        : [where.workspace, where.cwd],
      cwd: where.cwd,
      hidden: this.#options.hidden,
      network: settings.network,
      env: this.#sandboxEnv(where.workspace),
    };
    const kind: PathKind = (path) => layout.get(path);
    return {
      program: this.#options.bwrap ?? "bwrap",
      args: [...bwrapArgs(spec, kind), ...limitedShell(settings, command)],
      clearEnv: true,
      sandboxed: true,
    };
  }

  #sandboxEnv(workspace: string): Record<string, string> {
    const env: Record<string, string> = { HOME: workspace, TMPDIR: "/tmp" };
    for (const name of PASSED_ENV) {
      const value = this.#options.env[name];
      if (value !== undefined) env[name] = value;
    }
    env.PATH ??= DEFAULT_PATH;
    return env;
  }

  #probed() {
    return probeBwrap(this.#options.bwrap ?? "bwrap");
  }
}

/** The host's shell: `sh -c`, or `cmd /d /s /c` on Windows. */
export function hostLaunch(command: string): CommandLaunch {
  const windows = Deno.build.os === "windows";
  return windows
    // cmd.exe parses its own command line: pass it verbatim, quoted whole, as Node's shell does.
    ? { program: "cmd.exe", args: ["/d", "/s", "/c", `"${command}"`], sandboxed: false }
    : { program: "/bin/sh", args: ["-c", command], sandboxed: false };
}

/** What the probe found: whether bwrap works, and how `/bin`, `/lib`, ... exist on this host. */
export interface BwrapProbe {
  availability: SandboxAvailability;
  layout: Map<string, ReturnType<PathKind>>;
}

const probes = new Map<string, Promise<BwrapProbe>>();

/** Probes `bwrap` once per process (a real confinement of `true`). */
export function probeBwrap(bwrap = "bwrap"): Promise<BwrapProbe> {
  let probe = probes.get(bwrap);
  if (!probe) probes.set(bwrap, probe = runProbe(bwrap));
  return probe;
}

async function runProbe(bwrap: string): Promise<BwrapProbe> {
  const layout = new Map<string, ReturnType<PathKind>>();
  if (Deno.build.os !== "linux") {
    const reason = `bubblewrap is Linux-only (this is ${Deno.build.os})`;
    return { availability: { available: false as const, reason }, layout };
  }
  for (const path of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    const info = await Deno.lstat(path).catch(() => undefined);
    if (info?.isSymlink) layout.set(path, { link: await Deno.readLink(path) });
    else if (info?.isDirectory) layout.set(path, "dir");
  }
  let availability: SandboxAvailability;
  try {
    const { success, stderr, stdout } = await new Deno.Command(bwrap, {
      args: ["--version"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!success) throw new Error(new TextDecoder().decode(stderr).trim());
    const version = new TextDecoder().decode(stdout).trim();
    // A real confinement, as commands get it: user namespaces may be off even when bwrap exists.
    const trial = await new Deno.Command(bwrap, {
      args: [
        "--unshare-all",
        "--die-with-parent",
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "true",
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    availability = trial.success ? { available: true, version } : {
      available: false,
      reason: `bubblewrap cannot create namespaces here (${
        new TextDecoder().decode(trial.stderr).trim() || `exit ${trial.code}`
      })`,
    };
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "bubblewrap (bwrap) is not installed (Debian: apt install bubblewrap)"
      : `bubblewrap does not run: ${(error as Error).message}`;
    availability = { available: false, reason };
  }
  return { availability, layout };
}
