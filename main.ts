/**
 * @module pyclaw's entry point. `pyclaw gateway [run]` starts the server without building the
 * command tree (start-up time is the gateway's budget, issue 17); every other command, and any
 * gateway invocation the short path does not recognise, goes through the command tree.
 */

import { gatewayRunArgs } from "./cli/gateway_run_args.ts";
import { importLazily } from "./core/lazy_module.ts";
import { VERSION } from "./core/version.ts";

if (import.meta.main) {
  const gateway = gatewayRunArgs(Deno.args);
  if (Deno.args.length === 1 && (Deno.args[0] === "--version" || Deno.args[0] === "-V")) {
    console.log(VERSION); // as commander prints it, for scripts that ask often
  } else if (gateway) {
    const { runGateway } = await import("./cli/gateway_run.ts");
    await runGateway(gateway);
  } else {
    const { runProgram } = await importLazily<typeof import("./cli/program.ts")>(
      new URL("./cli/program.ts", import.meta.url),
    );
    await runProgram(Deno.args);
  }
}
