/**
 * @module `pyclaw gateway install | uninstall | stop | restart` and the service part of
 * `gateway status`: the gateway as a user service (systemd user unit, launchd agent, or a
 * scheduled task), and stopping or restarting a gateway started by hand through its pid file.
 */

import { join } from "../core/path.ts";
import { homedir } from "node:os";
import { fileURLToPath } from "node:url";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { fail, printJson } from "./_output.ts";
import { processAlive, stateDirOwner } from "../core/state_owner.ts";
import { GATEWAY_V8_FLAGS } from "../core/startup_gc.ts";
import { pidFile, runningPid } from "./_gateway_pid.ts";
import {
  launchdPlist,
  scheduledTaskXml,
  SERVICE_NAME,
  type ServiceManager,
  type ServiceSpec,
  systemdUnit,
} from "./_service_units.ts";
import { exec, managerSteps, runSteps } from "./_service_manager.ts";
import { startInBackground } from "./_gateway_background.ts";

export type { ServiceManager };

/** Flags of the service commands. */
export interface ServiceFlags {
  /** Write the unit file here instead of the user's service folder (tests, packaging). */
  unitDir?: string;
  /** Only write the file; do not tell the service manager. */
  start?: boolean;
  json?: boolean;
}

/** What `gateway status` reports about the service. */
export interface ServiceStatus {
  manager: ServiceManager;
  name: string;
  unitFile: string;
  installed: boolean;
  /** Whether the service manager says it runs; null when it cannot be asked. */
  active: boolean | null;
  enabled: boolean | null;
  detail?: string;
  /** A gateway started by hand (pid file), when one runs. */
  pid?: number;
}

function managerFor(os: typeof Deno.build.os): ServiceManager {
  return os === "darwin" ? "launchd" : os === "windows" ? "schtasks" : "systemd";
}

/** The service folder: `--unit-dir`, `PYCLAW_SERVICE_DIR`, else the platform's user folder. */
function unitDir(manager: ServiceManager, flags: ServiceFlags): { dir: string; custom: boolean } {
  const custom = flags.unitDir ?? Deno.env.get("PYCLAW_SERVICE_DIR");
  if (custom) return { dir: custom, custom: true };
  const home = homedir();
  if (manager === "launchd") return { dir: join(home, "Library", "LaunchAgents"), custom: false };
  if (manager === "schtasks") {
    return { dir: join(Deno.env.get("APPDATA") ?? home, "pyclaw"), custom: false };
  }
  const config = Deno.env.get("XDG_CONFIG_HOME") || join(home, ".config");
  return { dir: join(config, "systemd", "user"), custom: false };
}

function unitFile(manager: ServiceManager, dir: string): string {
  if (manager === "launchd") return join(dir, `${SERVICE_NAME.launchd}.plist`);
  if (manager === "schtasks") return join(dir, `${SERVICE_NAME.schtasks}.xml`);
  return join(dir, SERVICE_NAME.systemd);
}

/**
 * The launcher's permissions (scripts/pyclaw, docs/permissions.md): the `pyclaw` permission set
 * of deno.json, which Deno finds beside main.ts, so the unit follows that file when it changes.
 */
export const GATEWAY_PERMISSIONS = ["--permission-set=pyclaw"];

/** The command that runs this very program's gateway in the foreground. */
export function gatewayCommand(): string[] {
  const main = new URL("../main.ts", import.meta.url);
  // A `deno compile`d binary carries main.ts inside itself.
  if (main.protocol !== "file:" || main.pathname.includes("deno-compile-")) {
    return [Deno.execPath(), "gateway", "run"];
  }
  return [
    Deno.execPath(),
    "run",
    ...GATEWAY_PERMISSIONS,
    GATEWAY_V8_FLAGS,
    "--no-lock",
    "--no-prompt",
    "--quiet",
    fileURLToPath(main),
    "gateway",
    "run",
  ];
}

function serviceSpec(): ServiceSpec {
  const env = Deno.env.toObject();
  const paths = statePaths(stateDir(env));
  const vars: Record<string, string> = { PYCLAW_STATE_DIR: paths.root };
  if (env.PYCLAW_CONFIG_PATH) vars.PYCLAW_CONFIG_PATH = configPath(env);
  // Tools (exec, MCP servers started with npx) need the user's PATH, which services lack.
  if (env.PATH) vars.PATH = env.PATH;
  return {
    command: gatewayCommand(),
    env: vars,
    workingDir: paths.root,
    logFile: join(paths.logsDir, "gateway.out.log"),
  };
}

function unitText(manager: ServiceManager, spec: ServiceSpec): string {
  if (manager === "launchd") return launchdPlist(spec);
  if (manager === "schtasks") return scheduledTaskXml(spec);
  return systemdUnit(spec);
}

export async function serviceInstall(flags: ServiceFlags): Promise<void> {
  const manager = managerFor(Deno.build.os);
  const { dir, custom } = unitDir(manager, flags);
  const file = unitFile(manager, dir);
  const spec = serviceSpec();
  let text = unitText(manager, spec);
  if (manager === "schtasks") text = "\ufeff" + text; // the XML says UTF-16; schtasks wants a BOM
  await Deno.mkdir(dir, { recursive: true });
  await Deno.mkdir(statePaths(spec.env.PYCLAW_STATE_DIR).logsDir, { recursive: true });
  await Deno.writeTextFile(file, text, { mode: 0o644 });
  const manage = flags.start !== false && !custom;
  let ran: string[] = [];
  if (manage) {
    try {
      ran = await runSteps(managerSteps(manager, "install", file));
    } catch (error) {
      fail(new Error(`Wrote ${file}, but ${(error as Error).message}`));
    }
  }
  const result = {
    installed: true,
    manager,
    unitFile: file,
    command: spec.command,
    started: manage,
    ran,
  };
  if (flags.json) printJson(result);
  else {
    console.log(`Wrote ${file}`);
    if (manage) console.log(`Enabled and started the ${manager} service (${ran.join("; ")})`);
    else console.log("The service manager was not told (--no-start or a custom --unit-dir)");
  }
}

export async function serviceUninstall(flags: ServiceFlags): Promise<void> {
  const manager = managerFor(Deno.build.os);
  const { dir, custom } = unitDir(manager, flags);
  const file = unitFile(manager, dir);
  const exists = await Deno.stat(file).then(() => true, () => false);
  if (!exists) fail(new Error(`No service installed: ${file} does not exist`));
  if (flags.start !== false && !custom) {
    await runSteps(managerSteps(manager, "uninstall", file), true);
  }
  await Deno.remove(file);
  if (manager === "systemd" && flags.start !== false && !custom) {
    await exec("systemctl", ["--user", "daemon-reload"]);
  }
  if (flags.json) printJson({ uninstalled: true, unitFile: file });
  else console.log(`Removed ${file}`);
}

/** The service's state, for `gateway status`. Never throws. */
export async function serviceStatus(flags: ServiceFlags = {}): Promise<ServiceStatus> {
  const manager = managerFor(Deno.build.os);
  const { dir, custom } = unitDir(manager, flags);
  const file = unitFile(manager, dir);
  const installed = await Deno.stat(file).then(() => true, () => false);
  const status: ServiceStatus = {
    manager,
    name: manager === "systemd" ? SERVICE_NAME.systemd : SERVICE_NAME[manager],
    unitFile: file,
    installed,
    active: null,
    enabled: null,
  };
  const pid = await runningPid(stateDir());
  if (pid) status.pid = pid;
  if (custom) status.detail = "custom unit folder: the service manager is not asked";
  if (!installed || custom) return status;
  if (manager === "systemd") {
    const active = await exec("systemctl", ["--user", "is-active", SERVICE_NAME.systemd]);
    const enabled = await exec("systemctl", ["--user", "is-enabled", SERVICE_NAME.systemd]);
    if (/bus|connect/i.test(active.out)) status.detail = active.out;
    else {
      status.active = active.out === "active";
      status.enabled = enabled.out === "enabled";
      status.detail = active.out;
    }
  } else if (manager === "launchd") {
    const printed = await exec("launchctl", [
      "print",
      `gui/${Deno.uid?.() ?? 0}/${SERVICE_NAME.launchd}`,
    ]);
    status.active = printed.ok && /state = running/.test(printed.out);
    status.enabled = printed.ok;
  } else {
    const query = await exec("schtasks", ["/Query", "/TN", SERVICE_NAME.schtasks, "/FO", "LIST"]);
    status.enabled = query.ok;
    status.active = query.ok && /Running/i.test(query.out);
  }
  return status;
}

/** How long `stop` waits for a gateway that is still starting (loading after it listens). */
const START_WAIT_MS = 15_000;

/** Stops the service, or the gateway recorded in the pid file. */
export async function serviceStop(flags: ServiceFlags): Promise<void> {
  const result = await stopGateway(flags);
  if (flags.json) printJson(result);
  else console.log(result.message);
}

async function stopGateway(
  flags: ServiceFlags,
): Promise<{ stopped: boolean; via: string; message: string }> {
  const status = await serviceStatus(flags);
  if (status.installed && status.active) {
    try {
      await runSteps(managerSteps(status.manager, "stop", status.unitFile));
    } catch (error) {
      fail(error);
    }
    return { stopped: true, via: status.manager, message: `Stopped the ${status.manager} service` };
  }
  const root = stateDir();
  const pid = await runningPid(root, {
    waitMs: START_WAIT_MS,
    onWait: () => console.error("A gateway is starting on this state dir: waiting to stop it"),
  });
  if (!pid) {
    if ((await stateDirOwner(root)).owned) {
      fail(
        new Error(
          `A gateway is starting on this state dir and was not ready within ${
            START_WAIT_MS / 1000
          } s; see \`pyclaw logs\``,
        ),
      );
    }
    return {
      stopped: false,
      via: "none",
      message: `No gateway is running (no live pid in ${pidFile(root)})`,
    };
  }
  try {
    // Windows has no SIGTERM for another process; the gateway keeps its files consistent anyway.
    Deno.kill(pid, Deno.build.os === "windows" ? "SIGKILL" : "SIGTERM");
  } catch {
    return { stopped: false, via: "none", message: `No gateway is running (stale pid ${pid})` };
  }
  if (Deno.build.os === "windows") {
    return { stopped: true, via: "pid", message: `Stopped the gateway (pid ${pid})` };
  }
  const deadline = Date.now() + 10_000;
  while (processAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (processAlive(pid)) fail(new Error(`Gateway (pid ${pid}) did not stop within 10 s`));
  return { stopped: true, via: "pid", message: `Stopped the gateway (pid ${pid})` };
}

/** Restarts the service, or stops the hand-started gateway and starts it in the background. */
export async function serviceRestart(flags: ServiceFlags): Promise<void> {
  const status = await serviceStatus(flags);
  if (status.installed && status.active !== null) {
    try {
      await runSteps(managerSteps(status.manager, "restart", status.unitFile));
    } catch (error) {
      fail(error);
    }
    // The manager's restart returns once it has launched the process, ready or not.
    if (!(await waitForNewGateway(status.pid, START_WAIT_MS))) {
      fail(
        new Error(
          `Restarted the ${status.manager} service, but no new gateway answered within ${
            START_WAIT_MS / 1000
          } s; see \`pyclaw logs\``,
        ),
      );
    }
    const message = `Restarted the ${status.manager} service`;
    if (flags.json) printJson({ restarted: true, via: status.manager });
    else console.log(message);
    return;
  }
  const stopped = await stopGateway(flags);
  const started = await startInBackground(gatewayCommand(), START_WAIT_MS);
  if (!started.ready) fail(new Error(started.reason));
  const result = { restarted: true, via: "pid", pid: started.pid, wasRunning: stopped.stopped };
  if (flags.json) printJson(result);
  else {
    console.log(
      `${
        stopped.stopped ? "Restarted" : "Started"
      } the gateway in the background (pid ${started.pid}, ${started.url})`,
    );
  }
}

/**
 * Waits until the state dir records a gateway other than `previous` (the one the service ran
 * before) and its `/health` says `ok`; false when none did within `timeoutMs`.
 */
async function waitForNewGateway(previous: number | undefined, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const owner = await stateDirOwner(stateDir());
    const record = owner.owned ? owner.record : undefined;
    if (record && record.pid !== previous) {
      const health = record.url.replace(/^ws/, "http").replace(/\/+$/, "") + "/health";
      try {
        const response = await fetch(health, { signal: AbortSignal.timeout(1_000) });
        const body = await response.json().catch(() => undefined);
        if (body?.status === "ok") return true;
      } catch { /* not up yet */ }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}
