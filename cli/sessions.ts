/** @module `pyclaw sessions list | show | compact | delete`: the agents' conversation files. */

import { type Command, InvalidArgumentError } from "@commander-js/extra-typings";
import { withClientOptions } from "./_client_options.ts";
import { integerIn } from "./_output.ts";
import { SESSIONS_PREVIEW_MAX_LIMIT } from "../core/protocol/limits.ts";
import { isValidSessionId } from "../core/paths.ts";

export function registerSessionsCommands(program: Command): void {
  const sessions = program
    .command("sessions")
    .description("List, read and delete sessions (through the gateway when it answers)")
    .addHelpText(
      "after",
      `
Examples:
  pyclaw sessions list --agent main
  pyclaw sessions show main --limit 20
  pyclaw sessions compact main
  pyclaw sessions delete review --agent main`,
    );

  withClientOptions(
    sessions
      .command("list")
      .description("List session files, newest first")
      .option("--agent <id>", "only this agent's sessions")
      .option("--json", "print JSON"),
  ).action(async (options) => {
    const { sessionsList } = await import("./sessions_run.ts");
    await sessionsList(options);
  });

  withClientOptions(
    sessions
      .command("show")
      .description("Print a session's last messages")
      .argument(
        "<session>",
        "session id (of --agent), agent/session, or the file's path",
        sessionRef,
      )
      .option("--agent <id>", "the session's agent (default main)")
      .option(
        "--limit <n>",
        `how many messages (1-${SESSIONS_PREVIEW_MAX_LIMIT})`,
        integerIn(1, SESSIONS_PREVIEW_MAX_LIMIT),
        50,
      )
      .option("--cursor <cursor>", "show the page before this one (the cursor a page printed)")
      .option("--json", "print JSON"),
  ).action(async (session, options) => {
    const { sessionsShow } = await import("./sessions_run.ts");
    await sessionsShow(session, options);
  });

  withClientOptions(
    sessions
      .command("compact")
      .description("Summarise a session's older turns now (the raw lines stay in the file)")
      .argument(
        "<session>",
        "session id (of --agent), agent/session, or the file's path",
        sessionRef,
      )
      .option("--agent <id>", "the session's agent (default main)")
      .option("--json", "print JSON"),
  ).action(async (session, options) => {
    const { sessionsCompact } = await import("./sessions_run.ts");
    await sessionsCompact(session, options);
  });

  withClientOptions(
    sessions
      .command("delete")
      .description("Delete a session file (a run still answering in it is aborted first)")
      .argument(
        "<session>",
        "session id (of --agent), agent/session, or the file's path",
        sessionRef,
      )
      .option("--agent <id>", "the session's agent (default main)")
      .option("--json", "print JSON"),
  ).action(async (session, options) => {
    const { sessionsDelete } = await import("./sessions_run.ts");
    await sessionsDelete(session, options);
  });
}

/**
 * Commander parser of a SESSION argument: `ID`, `AGENT/ID` (each an id the session store takes),
 * or a `<...>.jsonl` path (which the gateway checks). Anything else is refused as typed, rather than
 * cut into a path it did not name or sent to be refused after connecting.
 */
export function sessionRef(value: string): string {
  if (value.endsWith(".jsonl")) return value;
  const parts = value.split("/");
  if (parts.length <= 2 && parts.every(isValidSessionId)) return value;
  throw new InvalidArgumentError(
    `Not a session: "${value}" (give ID, AGENT/ID, or agents/AGENT/sessions/ID.jsonl; ` +
      "an id is letters, digits and _ . : -)",
  );
}
