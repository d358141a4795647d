/**
 * @module `pyclaw gateway install | uninstall` and the service part of `gateway status`: the
 * gateway as a user service (systemd user unit, launchd agent, or a scheduled task). Stopping
 * and restarting it, or a gateway started by hand, is gateway_stop_restart.ts.
 */

import { join } from "../core/path.ts";
import { homedir } from "node:os";
import { fileURLToPath } from "node:url";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { fail, printJson } from "./_output.ts";
import { GATEWAY_V8_FLAGS } from "../core/idle_gc.ts";
import { runningPid } from "./_gateway_pid.ts";
import {
  launchdPlist,
  scheduledTaskXml,
  SERVICE_NAME,
  type ServiceManager,
  type ServiceSpec,
  systemdUnit,
} from "./_service_units.ts";
import { exec, managerSteps, runSteps } from "./_service_manager.ts";

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
  if (!exists) {
    // Like `stop` with nothing running: the state asked for is already there.
    const message = `No service installed (${file} does not exist): nothing to remove`;
    if (flags.json) printJson({ uninstalled: false, unitFile: file, message });
    else console.log(message);
    return;
  }
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
