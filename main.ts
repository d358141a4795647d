/** @module pyclaw's entry point: the command tree. Each command loads its code when it runs. */

import { Command, CommanderError } from "@commander-js/extra-typings";
import { VERSION } from "./core/version.ts";
import { registerGatewayCommands } from "./cli/gateway.ts";
import { registerDoctorCommand } from "./cli/doctor.ts";
import { registerModelsCommands } from "./cli/models.ts";
import { registerBackupCommands } from "./cli/backup.ts";
import { registerMcpCommands } from "./cli/mcp.ts";
import { registerAgentCommand } from "./cli/agent.ts";
import { registerConfigCommands } from "./cli/config.ts";
import { registerSetupCommand } from "./cli/setup.ts";
import { registerAgentsCommands } from "./cli/agents.ts";
import { registerSessionsCommands } from "./cli/sessions.ts";
import { registerMemoryCommands } from "./cli/memory.ts";
import { registerChannelsCommands } from "./cli/channels.ts";
import { registerCronCommands } from "./cli/cron.ts";
import { registerLogsCommand } from "./cli/logs.ts";
import { registerTokenCommands } from "./cli/token.ts";
import { registerStatusCommand } from "./cli/status.ts";
import { registerCompletionCommand } from "./cli/completion.ts";

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

if (import.meta.main) {
  try {
    await buildProgram().parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    // Commander has already printed the message (and the help) by the time it throws.
    if (error instanceof CommanderError) Deno.exit(usageExitCode(error));
    throw error;
  }
}
