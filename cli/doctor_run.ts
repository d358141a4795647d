/** @module `pyclaw doctor`: runs the checks from the config on disk and prints them. */

import { runDoctor } from "../agent/doctor/doctor.ts";
import { ConfigError, loadConfigFile } from "../core/config/load.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { printJson } from "./_output.ts";
import { runningGatewayFlags } from "./_local_state.ts";

const MARK = { ok: "\u2713", warn: "!", fail: "\u2717" } as const;

export async function runDoctorCommand(options: { json?: boolean }): Promise<void> {
  const env = Deno.env.toObject();
  const file = configPath(env);
  const input: Parameters<typeof runDoctor>[0] = {
    configPath: file,
    paths: statePaths(stateDir(env)),
    env,
    // The gateway running on this config listens where its --bind says and takes its
    // --auth-token: checked with them, as `config validate` and that gateway's doctor check.
    overrides: await runningGatewayFlags(),
  };
  try {
    const loaded = await loadConfigFile(file, env);
    input.config = loaded.config;
    input.configWarnings = loaded.warnings;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    input.configIssues = error.issues;
  }
  const report = await runDoctor(input);
  if (options.json) {
    printJson(report);
  } else {
    for (const check of report.checks) {
      console.log(`${MARK[check.status]} ${check.name}: ${check.message}`);
      if (check.hint && check.status !== "ok") console.log(`    \u2192 ${check.hint}`);
    }
    const { ok, warn, fail } = report.summary;
    console.log(`\n${ok} ok, ${warn} warning${warn === 1 ? "" : "s"}, ${fail} failed`);
  }
  Deno.exit(report.summary.fail > 0 ? 1 : 0);
}
