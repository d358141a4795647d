/** @module `pyclaw completion bash|zsh|fish`: a shell completion script for every command. */

import type { Command } from "@commander-js/extra-typings";

export function registerCompletionCommand(program: Command): void {
  program
    .command("completion")
    .description("Print a shell completion script for commands and options")
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText(
      "after",
      `
Examples:
  pyclaw completion bash > ~/.local/share/bash-completion/completions/pyclaw
  pyclaw completion zsh > "\${fpath[1]}/_pyclaw"
  pyclaw completion fish > ~/.config/fish/completions/pyclaw.fish`,
    )
    .action(async (shell) => {
      const { printCompletion } = await import("./completion_run.ts");
      printCompletion(shell, program);
    });
}
