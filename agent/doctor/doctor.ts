/**
 * @module `doctor`: health checks of an installation. It reads the config itself, so it also
 * works (and explains why) when the gateway cannot start. Later domains add their checks to
 * {@linkcode DOCTOR_CHECKS}.
 */

import type {
  CheckStatus,
  DoctorCheck,
  DoctorCheckEntry,
  DoctorInput,
  DoctorReport,
} from "./doctor_types.ts";
import { checkAuth, checkConfig, checkStateDir } from "./core_checks.ts";
import { checkSecretFiles } from "./secret_files_check.ts";
import {
  checkDocumentLibraries,
  checkExecPolicy,
  checkExecSandbox,
  checkScreenshot,
} from "./tool_checks.ts";
import { checkBrowser } from "./browser_check.ts";
import { checkLocalModels } from "./local_models_check.ts";
import { checkMcpServers } from "./mcp_check.ts";
import { checkMemory } from "./memory_check.ts";
import { checkProviders } from "./providers_check.ts";
import { checkDiskSpace, checkGatewayReachable, checkLocalRuntime } from "./runtime_checks.ts";
import {
  checkBackups,
  checkCron,
  checkDevices,
  checkSpeech,
  checkTelegram,
} from "./operations_checks.ts";

export type {
  CheckStatus,
  DoctorCheck,
  DoctorCheckEntry,
  DoctorCheckFn,
  DoctorInput,
  DoctorReport,
} from "./doctor_types.ts";

/**
 * Every check, in the order they are reported, with the id and title of its finding: a check that
 * throws is reported under the same ones (tests/agent/doctor/doctor_test.ts holds each check to
 * them).
 */
export const DOCTOR_CHECKS: readonly DoctorCheckEntry[] = [
  { id: "config.valid", title: "Config file", run: checkConfig },
  { id: "state.writable", title: "State directory", run: checkStateDir },
  { id: "gateway.auth", title: "Gateway auth", run: checkAuth },
  { id: "files.permissions", title: "Secret file permissions", run: checkSecretFiles },
  { id: "gateway.reachable", title: "Gateway", run: checkGatewayReachable, timed: true },
  { id: "disk.space", title: "Disk space", run: checkDiskSpace },
  { id: "browser.executable", title: "Browser (Chromium)", run: checkBrowser },
  { id: "providers", title: "Model providers", run: checkProviders },
  { id: "models.local", title: "Local models", run: checkLocalModels },
  { id: "models.runtime", title: "Local model runtime", run: checkLocalRuntime },
  { id: "tools.documents", title: "Document tools", run: checkDocumentLibraries },
  { id: "tools.screenshot", title: "Desktop screenshot", run: checkScreenshot },
  { id: "tools.exec", title: "Exec policy", run: checkExecPolicy },
  { id: "tools.sandbox", title: "Command sandbox", run: checkExecSandbox },
  { id: "mcp", title: "MCP servers", run: checkMcpServers },
  { id: "memory.index", title: "Memory index", run: checkMemory },
  { id: "cron.jobs", title: "Cron jobs", run: checkCron },
  { id: "devices.pairings", title: "Paired devices", run: checkDevices },
  { id: "backups", title: "Backups", run: checkBackups },
  { id: "channels.telegram", title: "Telegram channel", run: checkTelegram },
  { id: "tts.engine", title: "Speech engine", run: checkSpeech },
];

/**
 * Runs every check; a check that throws is reported as a failure under its entry's id and title,
 * never as a crash. Timed checks run first, alone; the rest then run together.
 */
export async function runDoctor(
  input: DoctorInput,
  checks: readonly DoctorCheckEntry[] = DOCTOR_CHECKS,
): Promise<DoctorReport> {
  const run = async (entry: DoctorCheckEntry): Promise<DoctorCheck[]> => {
    try {
      return [await entry.run(input)].flat();
    } catch (error) {
      return [{
        id: entry.id,
        name: entry.title,
        status: "fail",
        message: `Check failed: ${(error as Error).message}`,
      }];
    }
  };
  const results: DoctorCheck[][] = [];
  for (const [i, entry] of checks.entries()) {
    if (entry.timed) results[i] = await run(entry);
  }
  await Promise.all(checks.map(async (entry, i) => {
    if (!entry.timed) results[i] = await run(entry);
  }));
  const flat = results.flat();
  const count = (status: CheckStatus) => flat.filter((check) => check.status === status).length;
  const fail = count("fail");
  return {
    checks: flat,
    summary: {
      total: flat.length,
      ok: count("ok"),
      warn: count("warn"),
      fail,
      healthy: fail === 0,
    },
  };
}
