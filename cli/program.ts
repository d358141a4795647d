/** @module The command tree of every command. Each command loads its code when it runs. */

import { Command, CommanderError } from "@commander-js/extra-typings";
import { VERSION } from "../core/version.ts";
import { isGatewayError } from "../core/errors.ts";
import { fail } from "./_output.ts";
import { registerGatewayCommands } from "./gateway.ts";
import { registerDoctorCommand } from "./doctor.ts";
import { registerModelsCommands } from "./models.ts";
import { registerBackupCommands } from "./backup.ts";
import { registerMcpCommands } from "./mcp.ts";
import { registerAgentCommand } from "./agent.ts";
import { registerConfigCommands } from "./config.ts";
import { registerSetupCommand } from "./setup.ts";
import { registerAgentsCommands } from "./agents.ts";
import { registerSessionsCommands } from "./sessions.ts";
import { registerMemoryCommands } from "./memory.ts";
import { registerChannelsCommands } from "./channels.ts";
import { registerCronCommands } from "./cron.ts";
import { registerLogsCommand } from "./logs.ts";
import { registerTokenCommands } from "./token.ts";
import { registerStatusCommand } from "./status.ts";
import { registerCompletionCommand } from "./completion.ts";

export function buildProgram(): Command {
  const program = new Command()
    .name("pyclaw")
    .description(
      "A personal AI gateway: agents over WebSocket RPC, an OpenAI-compatible API and chat channels",
    )
    .version(VERSION, "-V, --version", "print the version")
    .showHelpAfterError()
    .enablePositionalOptions()
    .configureOutput({ outputError: (text, write) => write(text) })
    // Commander exits 1 on its own errors; the README promises 2 for every bad usage, so its
    // errors are thrown (every subcommand inherits this) and mapped in one place below.
    .exitOverride();
  registerGatewayCommands(program);
  registerDoctorCommand(program);
  registerModelsCommands(program);
  registerBackupCommands(program);
  registerMcpCommands(program);
  registerAgentCommand(program);
  registerConfigCommands(program);
  registerSetupCommand(program);
  registerAgentsCommands(program);
  registerSessionsCommands(program);
  registerMemoryCommands(program);
  registerChannelsCommands(program);
  registerCronCommands(program);
  registerLogsCommand(program);
  registerTokenCommands(program);
  registerStatusCommand(program);
  registerCompletionCommand(program);
  return program;
}

/** Exit status of a commander error: 0 for `--help`/`--version`, 2 for any bad usage. */
export function usageExitCode(error: CommanderError): number {
  return error.exitCode === 0 ? 0 : 2;
}

/**
 * Parses `args` with the command tree and runs the command; exits 2 on a bad usage, and 1 with
 * one `Error:` line when the system refuses a file operation or the gateway refuses a request.
 */
export async function runProgram(args: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(args, { from: "user" });
  } catch (error) {
    // Commander has already printed the message (and the help) by the time it throws.
    if (error instanceof CommanderError) Deno.exit(usageExitCode(error));
    // A state dir that is a file, a log that is a directory, a disk that is full: the user's
    // to fix, and the message names the path; a stack trace would say it is pyclaw's.
    if (isSystemError(error) || isGatewayError(error)) fail(error);
    throw error;
  }
}

/** Whether `error` is one of the runtime's operating-system errors (`Deno.errors.*`). */
export function isSystemError(error: unknown): boolean {
  return Object.values(Deno.errors).some((kind) => error instanceof kind);
}
