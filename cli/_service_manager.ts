/**
 * @module The service managers' own commands (systemctl --user, launchctl, schtasks) for each
 * service action, and running them with their output kept for the error message.
 */

import { SERVICE_NAME, type ServiceManager } from "./_service_units.ts";

/** Runs a command; never throws (a missing program is a failed result). */
export async function exec(command: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  try {
    const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    return { ok: output.success, out: text.trim() };
  } catch (error) {
    return { ok: false, out: (error as Error).message };
  }
}

/** Tells the service manager; the steps for `action`, each one command. */
export function managerSteps(
  manager: ServiceManager,
  action: "install" | "uninstall" | "stop" | "restart",
  file: string,
): [string, string[]][] {
  const uid = Deno.uid?.() ?? 0;
  const domain = `gui/${uid}`;
  if (manager === "systemd") {
    const unit = SERVICE_NAME.systemd;
    return {
      install: [["systemctl", ["--user", "daemon-reload"]], [
        "systemctl",
        ["--user", "enable", "--now", unit],
      ]],
      uninstall: [["systemctl", ["--user", "disable", "--now", unit]]],
      stop: [["systemctl", ["--user", "stop", unit]]],
      restart: [["systemctl", ["--user", "restart", unit]]],
    }[action] as [string, string[]][];
  }
  if (manager === "launchd") {
    const label = `${domain}/${SERVICE_NAME.launchd}`;
    return {
      install: [["launchctl", ["bootstrap", domain, file]]],
      uninstall: [["launchctl", ["bootout", label]]],
      stop: [["launchctl", ["kill", "SIGTERM", label]]],
      restart: [["launchctl", ["kickstart", "-k", label]]],
    }[action] as [string, string[]][];
  }
  const task = SERVICE_NAME.schtasks;
  return {
    install: [["schtasks", ["/Create", "/TN", task, "/XML", file, "/F"]], [
      "schtasks",
      ["/Run", "/TN", task],
    ]],
    uninstall: [["schtasks", ["/End", "/TN", task]], ["schtasks", ["/Delete", "/TN", task, "/F"]]],
    stop: [["schtasks", ["/End", "/TN", task]]],
    restart: [["schtasks", ["/End", "/TN", task]], ["schtasks", ["/Run", "/TN", task]]],
  }[action] as [string, string[]][];
}

/** Runs `steps` in order; the first failure throws unless `tolerate`. */
export async function runSteps(steps: [string, string[]][], tolerate = false): Promise<string[]> {
  const done: string[] = [];
  for (const [command, args] of steps) {
    const result = await exec(command, args);
    if (!result.ok && !tolerate) {
      throw new Error(`${command} ${args.join(" ")} failed: ${result.out || "no output"}`);
    }
    done.push(`${command} ${args.join(" ")}`);
  }
  return done;
}
