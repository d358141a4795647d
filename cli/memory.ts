/** @module `pyclaw memory search | status | reindex`: the agents' long-term memory index. */

import type { Command } from "@commander-js/extra-typings";
import { withClientOptions } from "./_client_options.ts";
import { integerIn } from "./_output.ts";
import { MEMORY_SEARCH_MAX_LIMIT } from "../core/protocol/limits.ts";

export function registerMemoryCommands(program: Command): void {
  const memory = program
    .command("memory")
    .description(
      "Search and maintain long-term memory: MEMORY.md, memory/*.md and past sessions " +
        "(through the gateway when it answers)",
    )
    .addHelpText(
      "after",
      `
Examples:
  pyclaw memory search "dentist appointment"
  pyclaw memory search \u65fa\u8d22 --agent main --limit 3
  pyclaw memory status
  pyclaw memory reindex --agent main`,
    );

  withClientOptions(
    memory
      .command("search")
      .description("Search an agent's memory files and sessions")
      .argument("<query>", "keywords or a question")
      .option("--agent <id>", "the agent (default main)")
      .option(
        "--limit <n>",
        `most hits (1-${MEMORY_SEARCH_MAX_LIMIT})`,
        integerIn(1, MEMORY_SEARCH_MAX_LIMIT),
      )
      .option("--json", "print JSON"),
  ).action(async (query, options) => {
    const { memorySearch } = await import("./memory_run.ts");
    await memorySearch(query, options);
  });

  withClientOptions(
    memory
      .command("status")
      .description("Show what each agent's memory index holds")
      .option("--agent <id>", "only this agent")
      .option("--json", "print JSON"),
  ).action(async (options) => {
    const { memoryStatus } = await import("./memory_run.ts");
    await memoryStatus(options);
  });

  withClientOptions(
    memory
      .command("reindex")
      .description("Rebuild the memory index from the files and sessions")
      .option("--agent <id>", "only this agent")
      .option("--json", "print JSON"),
  ).action(async (options) => {
    const { memoryReindex } = await import("./memory_run.ts");
    await memoryReindex(options);
  });
}
