/** @module `pyclaw gateway install | uninstall | stop | restart`: the gateway as a user service. */

import type { Command } from "@commander-js/extra-typings";

// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any[], any, any>;

/** `--unit-dir` and `--json`; `unitDirHelp` says what the directory is to this command. */
function serviceOptions<T extends AnyCommand>(command: T, unitDirHelp: string): T {
  return command
    .option("--unit-dir <dir>", `${unitDirHelp} (also PYCLAW_SERVICE_DIR)`)
    .option("--json", "print JSON") as T;
}

/** What `--unit-dir` means to the commands that find an installed service rather than write one. */
const FIND_UNIT = "where the service file was installed; the service manager is then not asked";

export function registerGatewayServiceCommands(gateway: AnyCommand): void {
  serviceOptions(
    gateway
      .command("install")
      .description(
        "Run the gateway as a user service: a systemd user unit (Linux), a launchd agent " +
          "(macOS) or a scheduled task (Windows), started now and at login",
      )
      .option("--no-start", "only write the service file")
      .addHelpText("after", "\nExample:\n  pyclaw gateway install && pyclaw gateway status"),
    "write the service file here; the service manager is then not told",
  ).action(async (options) => {
    const { serviceInstall } = await import("./gateway_service.ts");
    await serviceInstall(options);
  });

  serviceOptions(
    gateway
      .command("uninstall")
      .description("Stop the user service and remove its file (exit 0 when none is installed)")
      .option("--no-start", "remove the service file without stopping or disabling the service"),
    FIND_UNIT,
  ).action(async (options) => {
    const { serviceUninstall } = await import("./gateway_service.ts");
    await serviceUninstall(options);
  });

  serviceOptions(
    gateway
      .command("stop")
      .description("Stop the service, or a gateway started by hand (found by <state>/gateway.pid)"),
    FIND_UNIT,
  ).action(async (options) => {
    const { serviceStop } = await import("./gateway_stop_restart.ts");
    await serviceStop(options);
  });

  serviceOptions(
    gateway
      .command("restart")
      .description(
        "Restart the service; a gateway started by hand is stopped and started again in the " +
          "background, with the --port and --bind it was started with",
      )
      .option(
        "--auth-token <token>",
        "the gateway's secret, for a gateway started by hand with --auth-token (it is not kept)",
      ),
    FIND_UNIT,
  ).action(async (options) => {
    const { serviceRestart } = await import("./gateway_stop_restart.ts");
    await serviceRestart(options);
  });
}
