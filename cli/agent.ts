/** @module `pyclaw agent "message"`: one agent turn from the terminal, streamed as it arrives. */

import type { Command } from "@commander-js/extra-typings";
import { withConnectionOptions } from "./_client_options.ts";

export function registerAgentCommand(program: Command): void {
  withConnectionOptions(
    program
      .command("agent")
      .description(
        "Run one agent turn and stream the answer: through the running gateway when one " +
          "answers, otherwise in this process",
      )
      .argument("[message...]", "the message; text piped on stdin is sent after it")
      .option("--agent <id>", "agent id (default main)")
      .option("--session <id>", "session id (default main)")
      .option("--model <model>", "model for this turn, e.g. openai/gpt-4o")
      .option("--local", "run in this process even when a gateway answers"),
    600_000,
    "time limit of the whole turn in milliseconds",
  )
    .option("--json", "print one JSON object with the answer, tool calls and usage at the end")
    .addHelpText(
      "after",
      `
Examples:
  pyclaw agent "What is on my calendar today?"
  git diff | pyclaw agent --session review "Review this change"
  echo "Summarise: $(cat notes.txt)" | pyclaw agent --model openai/gpt-4o-mini

With both a message and piped stdin, both are sent: the message, a blank line, then the piped
text. Without a message, the piped text is the message. Stdin that is not a terminal is read to
its end, so give </dev/null when a script has nothing to pipe.

The answer goes to stdout; tool calls are shown compactly on stderr.
Exit codes: 0 answered, 1 the run failed, 2 bad usage, 130 interrupted.`,
    )
    .action(async (words, options) => {
      const { agentTurn } = await import("./agent_run.ts");
      await agentTurn(words, options);
    });
}
