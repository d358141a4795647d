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
    .exitOverride()
    .hook("preAction", async (_program, command) => {
      // doctor reports a bad state dir among its findings; completion never touches it.
      let top = command;
      while (top.parent && top.parent !== program) top = top.parent;
      if (top.name() === "doctor" || top.name() === "completion") return;
      const { stateDirProblem } = await import("./_state_dir.ts");
      const problem = await stateDirProblem();
      if (problem) fail(new Error(problem));
    });
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
 * one `Error:` line when the user's system refuses an operation (a file, an address) or the
 * gateway refuses a request. `PYCLAW_DEBUG=1` prints the stack trace before that line.
 */
export async function runProgram(args: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(args, { from: "user" });
  } catch (error) {
    // Commander has already printed the message (and the help) by the time it throws.
    if (error instanceof CommanderError) Deno.exit(usageExitCode(error));
    if (isGatewayError(error)) fail(error);
    if (isSystemError(error)) {
      // A log that is a directory, a full disk, a port in use: the user's to fix, and a stack
      // trace would say it is pyclaw's. The runtime names the path only for some operations
      // (the `pyclaw` permission set hides it from others), so a message without one says
      // which state dir was in use; the state dir itself was checked before the command ran.
      if (!/'[^']+'/.test(error.message)) {
        const { stateDir } = await import("../core/paths.ts");
        const annotated = new Error(`${error.message} (state dir ${stateDir()})`);
        annotated.stack = error.stack;
        fail(annotated);
      }
      fail(error);
    }
    throw error;
  }
}

/**
 * The runtime's errors that come from the user's machine rather than from pyclaw: a missing or
 * refused file, a file where a folder should be, an address in use or unreachable, a closed
 * pipe. Others (`BadResource`, `Busy`, `InvalidData`, `Interrupted`, `NotCapable`, ...) point
 * to a bug and keep their stack trace.
 */
const USER_SYSTEM_ERRORS = [
  Deno.errors.NotFound,
  Deno.errors.PermissionDenied,
  Deno.errors.NotADirectory,
  Deno.errors.IsADirectory,
  Deno.errors.AlreadyExists,
  Deno.errors.FilesystemLoop,
  Deno.errors.AddrInUse,
  Deno.errors.AddrNotAvailable,
  Deno.errors.ConnectionRefused,
  Deno.errors.ConnectionReset,
  Deno.errors.ConnectionAborted,
  Deno.errors.NetworkUnreachable,
  Deno.errors.TimedOut,
  Deno.errors.BrokenPipe,
];

/** OS error codes the runtime reports as a plain `Error` that are still the machine's state. */
const USER_ERROR_CODES = new Set(["ENOSPC", "EDQUOT", "EROFS", "ENAMETOOLONG", "EXDEV"]);

/**
 * Whether `error` is an operating-system error the user can fix (see
 * {@linkcode USER_SYSTEM_ERRORS}), rather than one that points to a bug in pyclaw.
 */
export function isSystemError(error: unknown): error is Error {
  if (USER_SYSTEM_ERRORS.some((kind) => error instanceof kind)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === "string" && USER_ERROR_CODES.has(code);
}
