/** @module `pyclaw setup`: first-run onboarding, on a terminal or from flags for scripts. */

import type { Command } from "@commander-js/extra-typings";
import { parsePort } from "./_output.ts";

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function registerSetupCommand(program: Command): void {
  program
    .command("setup")
    .description(
      "Set pyclaw up: model provider, API key or local model, default model, gateway token, " +
        "MCP servers. Asks on a terminal; --non-interactive takes flags and environment",
    )
    .option("--non-interactive", "ask nothing: take the answers from flags and environment")
    .option(
      "--provider <id>",
      "openai, anthropic, deepseek, qwen, moonshot, groq, openrouter, ollama, llamacpp, or a custom id with --base-url",
    )
    .option(
      "--api-key <key>",
      "the provider's API key (else OPENAI_API_KEY, ANTHROPIC_API_KEY, \u2026)",
    )
    .option("--base-url <url>", "the provider's API base URL (custom and self-hosted providers)")
    .option("--api <api>", "wire API of a custom provider: openai (default) or anthropic")
    .option(
      "--model <id>",
      "default model, as the provider names it (a local model's id for llamacpp)",
    )
    .option("--port <port>", "gateway port", parsePort)
    .option("--bind <host>", "gateway bind: loopback (default), lan, or an address")
    .option("--gateway-token <token>", "use this gateway token instead of generating one")
    .option("--rotate-token", "generate a new gateway token even when one exists")
    .option(
      "--mcp <spec>",
      "add an MCP server: name=command args\u2026 or name=https://url (repeatable)",
      collect,
    )
    .option("--skip-probe", "do not send the test request to the model")
    .option("--strict", "exit 1 when the model probe fails")
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      `
Examples:
  pyclaw setup
  OPENAI_API_KEY=sk-\u2026 pyclaw setup --non-interactive --provider openai --model gpt-4o-mini
  pyclaw setup --non-interactive --provider ollama --model qwen3:4b \\
    --mcp 'files=npx -y @modelcontextprotocol/server-filesystem /home/me/docs'

Secrets are never printed in full. Exit codes: 0 written, 1 failed, 2 bad usage.`,
    )
    .action(async (options) => {
      const { runSetup } = await import("./setup_run.ts");
      await runSetup(options);
    });
}
