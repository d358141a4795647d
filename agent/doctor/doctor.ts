/**
 * @module `doctor`: health checks of an installation. It reads the config itself, so it also
 * works (and explains why) when the gateway cannot start. Later domains add their checks to
 * {@linkcode DOCTOR_CHECKS}.
 */

import type { CheckStatus, DoctorCheckFn, DoctorInput, DoctorReport } from "./doctor_types.ts";
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
  DoctorCheckFn,
  DoctorInput,
  DoctorReport,
} from "./doctor_types.ts";

/** Every check, in the order they are reported. */
export const DOCTOR_CHECKS: DoctorCheckFn[] = [
  checkConfig,
  checkStateDir,
  checkAuth,
  checkSecretFiles,
  checkGatewayReachable,
  checkDiskSpace,
  checkBrowser,
  checkProviders,
  checkLocalModels,
  checkLocalRuntime,
  checkDocumentLibraries,
  checkScreenshot,
  checkExecPolicy,
  checkExecSandbox,
  checkMcpServers,
  checkMemory,
  checkCron,
  checkDevices,
  checkBackups,
  checkTelegram,
  checkSpeech,
];

/** A check's name for a report, from its function's: `checkLocalModels` reads "Local models". */
function checkTitle(check: DoctorCheckFn): string {
  const words = check.name.replace(/^check/, "").replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return words ? words[0].toUpperCase() + words.slice(1) : "Check";
}

/** Runs every check; a check that throws is reported as a failure, never as a crash. */
export async function runDoctor(input: DoctorInput, checks = DOCTOR_CHECKS): Promise<DoctorReport> {
  const results = await Promise.all(checks.map(async (check) => {
    try {
      return await check(input);
    } catch (error) {
      return {
        id: check.name || "check",
        name: checkTitle(check),
        status: "fail" as const,
        message: `Check failed: ${(error as Error).message}`,
      };
    }
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
