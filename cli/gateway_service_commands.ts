/** @module `pyclaw gateway install | uninstall | stop | restart`: the gateway as a user service. */

import type { Command } from "@commander-js/extra-typings";

// deno-lint-ignore no-explicit-any
type AnyCommand = Command<any[], any, any>;

function serviceOptions<T extends AnyCommand>(command: T): T {
  return command
    .option(
      "--unit-dir <dir>",
      "write the service file here (also PYCLAW_SERVICE_DIR); the service manager is then not told",
    )
    .option("--json", "print JSON") as T;
}

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
  ).action(async (options) => {
    const { serviceInstall } = await import("./gateway_service.ts");
    await serviceInstall(options);
  });

  serviceOptions(
    gateway
      .command("uninstall")
      .description("Stop the user service and remove its file")
      .option("--no-start", "only remove the service file"),
  ).action(async (options) => {
    const { serviceUninstall } = await import("./gateway_service.ts");
    await serviceUninstall(options);
  });

  serviceOptions(
    gateway
      .command("stop")
      .description("Stop the service, or a gateway started by hand (found by <state>/gateway.pid)"),
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
  ).action(async (options) => {
    const { serviceRestart } = await import("./gateway_stop_restart.ts");
    await serviceRestart(options);
  });
}
