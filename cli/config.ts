/** @module `pyclaw config ...`: read, change and check `pyclaw.json` from the terminal. */

import type { Command } from "@commander-js/extra-typings";

export function registerConfigCommands(program: Command): void {
  const config = program
    .command("config")
    .description("Read, change and validate the config file (a running gateway reloads it)")
    .addHelpText(
      "after",
      `
Examples:
  pyclaw config get gateway.port
  pyclaw config set agents.defaults.model openai/gpt-4o-mini
  pyclaw config set tools.exec.allowPatterns '["git *", "ls *"]'
  pyclaw config validate --json`,
    );

  config
    .command("get")
    .description("Print the effective value at a dot path (secrets redacted)")
    .argument("<key>", "dot path, e.g. gateway.port")
    .option("--json", "print JSON even for a plain string")
    .action(async (key, options) => {
      const { configGet } = await import("./config_run.ts");
      await configGet(key, options);
    });

  config
    .command("set")
    .description(
      "Set the value at a dot path; VALUE is read as JSON when it parses, else as a string. " +
        "Validated before anything is written",
    )
    .argument("<key>", "dot path, e.g. agents.defaults.model")
    .argument("<value>", 'e.g. 18789, true, "text", ["a","b"], {"k":1}')
    .option("--string", "take VALUE as a string even when it parses as JSON")
    .action(async (key, value, options) => {
      const { configSet } = await import("./config_run.ts");
      await configSet(key, value, options);
    });

  config
    .command("list")
    .description("Print the whole effective config, defaults filled in, secrets redacted")
    .option("--json", "print JSON instead of key = value lines")
    .action(async (options) => {
      const { configList } = await import("./config_run.ts");
      await configList(options);
    });

  config
    .command("validate")
    .description("Check the config file; exit 1 when it is invalid")
    .option("--json", "print JSON")
    .action(async (options) => {
      const { configValidate } = await import("./config_run.ts");
      await configValidate(options);
    });

  config
    .command("path")
    .description("Print the config file's path (PYCLAW_CONFIG_PATH, else <state>/pyclaw.json)")
    .action(async () => {
      const { configPath } = await import("../core/paths.ts");
      console.log(configPath());
    });
}
