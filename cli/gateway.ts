/** @module `pyclaw gateway ...`: run the server, and the client-side status, probe and call. */

import type { Command } from "@commander-js/extra-typings";
import { withConnectionOptions } from "./_client_options.ts";
import { parseInteger, parsePort } from "./_output.ts";
import { registerGatewayServiceCommands } from "./gateway_service_commands.ts";

export function registerGatewayCommands(program: Command): void {
  const gateway = program
    .command("gateway")
    .description("Run the gateway server, or inspect and call a running one")
    .addHelpText(
      "after",
      `
Examples:
  pyclaw gateway run --port 18790
  pyclaw gateway status
  pyclaw gateway call health --json
  pyclaw gateway install && pyclaw gateway restart`,
    )
    // Subcommands repeat --port/--bind: options after a subcommand name belong to it.
    .enablePositionalOptions();
  // `pyclaw gateway` alone runs the server, exactly like `pyclaw gateway run`.
  for (const command of [gateway, gateway.command("run").description("Start the gateway server")]) {
    command
      .option("--port <port>", "WebSocket port (default 18789)", parsePort)
      .option("--bind <host>", "loopback (default), lan, or a host address")
      .option(
        "--auth-token <token>",
        "auth token (else PYCLAW_AUTH_TOKEN, config, or the token file)",
      )
      .action(async (options) => {
        const { runGateway } = await import("./gateway_run.ts");
        await runGateway(options);
      });
  }

  withConnectionOptions(
    gateway
      .command("status")
      .description("Show the gateway's configuration and, unless --no-probe, whether it answers"),
    5000,
  )
    .option("--no-probe", "do not connect, only show the configuration")
    .option(
      "--deep",
      "also ask for system info, presence and doctor results (the doctor gets at least 60 s)",
    )
    .option("--json", "print JSON")
    .action(async (options) => {
      const { gatewayStatus } = await import("./gateway_client_commands.ts");
      await gatewayStatus(options);
    });

  withConnectionOptions(
    gateway
      .command("probe")
      .description("Check that a gateway answers: connect, authenticate, health"),
    5000,
  )
    .option("--json", "print JSON")
    .action(async (options) => {
      const { gatewayProbe } = await import("./gateway_client_commands.ts");
      await gatewayProbe(options);
    });

  gateway
    .command("discover")
    .description(
      "Find gateways: mDNS (when gateway.discovery.mdns is on, or --mdns) and a probe of the " +
        "configured port, the state dir's running gateway and 18789-18799 on loopback, " +
        "plus --host",
    )
    .option("--timeout <ms>", "how long to look, in milliseconds", parseInteger, 2000)
    .option("--host <host...>", "also probe these hosts (host or host:port)")
    .option("--mdns", "browse mDNS even when gateway.discovery.mdns is off")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { gatewayDiscover } = await import("./gateway_discover.ts");
      await gatewayDiscover(options);
    });

  registerGatewayServiceCommands(gateway);

  withConnectionOptions(
    gateway
      .command("call")
      .description("Call any RPC method and print its result")
      .argument("<method>", "method name, e.g. health")
      .option("--params <json>", "params as a JSON object", "{}"),
    30000,
  )
    .option("--json", "print compact JSON")
    .action(async (method, options) => {
      const { gatewayCall } = await import("./gateway_client_commands.ts");
      await gatewayCall(method, options);
    });
}
