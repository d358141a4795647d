/**
 * @module `pyclaw gateway [run]`'s short path (`cli/gateway_run_args.ts`) against the command
 * tree it bypasses: for every argument vector, either both read the same options or the short
 * path declines and the command tree answers (help, errors, other subcommands).
 */

import { CommanderError } from "@commander-js/extra-typings";
import { assertEquals } from "../_helpers/assert.ts";
import { gatewayRunArgs } from "../../cli/gateway_run_args.ts";
import type { RunOptions } from "../../cli/gateway_run.ts";
import { buildProgram } from "../../cli/program.ts";

/** What the command tree runs for `args`: the options `gateway [run]` got, or what else. */
async function commandTreeReads(args: string[]): Promise<RunOptions | "other" | "usage error"> {
  const program = buildProgram();
  const gateway = program.commands.find((c) => c.name() === "gateway")!;
  const run = gateway.commands.find((c) => c.name() === "run")!;
  let got: RunOptions | "other" = "other";
  const silent = { writeOut: () => {}, writeErr: () => {} };
  for (const command of [program, gateway, ...gateway.commands]) {
    command.configureOutput(silent).action(() => {});
  }
  // The action commander calls gets the parsed options first.
  for (const command of [gateway, run]) {
    command.action((...args) => void (got = { ...args.at(-2) as RunOptions }));
  }
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return "usage error";
    throw error;
  }
  return got;
}

Deno.test("the gateway's short path reads its options as the command tree does, or declines", async () => {
  const cases: string[][] = [
    ["gateway"],
    ["gateway", "run"],
    ["gateway", "run", "--port", "0", "--bind", "127.0.0.1", "--auth-token", "secret-token"],
    ["gateway", "--port=18790", "--bind=lan"],
    ["gateway", "run", "--port", "1", "--port", "2"],
    ["gateway", "run", "--auth-token", "-starts-with-a-dash"],
    ["gateway", "run", "--auth-token=a=b"],
    ["gateway", "run", "--port", "65535"],
  ];
  for (const args of cases) {
    const short = gatewayRunArgs(args);
    assertEquals(short !== undefined, true, `declined ${args.join(" ")}`);
    assertEquals(short, await commandTreeReads(args), args.join(" "));
  }
  const declined: string[][] = [
    ["gateway", "run", "--port", "65536"],
    ["gateway", "run", "--port", "-1"],
    ["gateway", "run", "--port", "1.5"],
    ["gateway", "run", "--port", "abc"],
    ["gateway", "run", "--port"],
    ["gateway", "run", "--help"],
    ["gateway", "-h"],
    ["gateway", "run", "--verbose"],
    ["gateway", "run", "extra"],
    ["gateway", "status"],
    ["status"],
    ["--version"],
  ];
  for (const args of declined) {
    // Declining is always safe (the command tree runs whatever it is); these are not the server.
    assertEquals(gatewayRunArgs(args), undefined, args.join(" "));
    const tree = await commandTreeReads(args);
    assertEquals(typeof tree === "string", true, `the tree ran the server for ${args.join(" ")}`);
  }
});
