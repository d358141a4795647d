/**
 * @module `doctor`: health checks of an installation. It reads the config itself, so it also
 * works (and explains why) when the gateway cannot start. Later domains add their checks to
 * {@linkcode DOCTOR_CHECKS}.
 */

import type { Config } from "../../core/config/schema.ts";
import type { ConfigIssue } from "../../core/config/load.ts";
import type { StatePaths } from "../../core/paths.ts";
import { checkAuth, checkConfig, checkStateDir } from "./core_checks.ts";
import { checkDocumentLibraries, checkExecPolicy, checkScreenshot } from "./tool_checks.ts";
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
import type { McpServerStatus } from "../../tools/mcp/server_connection.ts";

export type CheckStatus = "ok" | "warn" | "fail";

/** One finding. */
export interface DoctorCheck {
  id: string;
  name: string;
  status: CheckStatus;
  message: string;
  /** What to do about a warning or failure. */
  hint?: string;
}

/** What `doctor.run` and `pyclaw doctor --json` return. */
export interface DoctorReport {
  checks: DoctorCheck[];
  summary: { total: number; ok: number; warn: number; fail: number; healthy: boolean };
}

/** What the checks look at. */
export interface DoctorInput {
  configPath: string;
  /** The config in force, absent when it could not be loaded. */
  config?: Config;
  /** Why the config could not be loaded. */
  configIssues?: ConfigIssue[];
  /** Unknown keys in the config. */
  configWarnings?: readonly ConfigIssue[];
  paths: StatePaths;
  env: Record<string, string | undefined>;
  /** Bind and token from the command line of the gateway being checked, if any. */
  overrides?: { bind?: string; authToken?: string };
  /** The gateway's live MCP connections; without them the check connects to each server. */
  mcp?: { status(): McpServerStatus[]; ready(): Promise<void> };
  /** The auth of a running gateway, when the doctor runs inside one. */
  activeAuth?: { mode: "token" | "password" | "none"; source?: string };
}

export type DoctorCheckFn = (input: DoctorInput) => Promise<DoctorCheck | DoctorCheck[]>;

/** Every check, in the order they are reported. */
export const DOCTOR_CHECKS: DoctorCheckFn[] = [
  checkConfig,
  checkStateDir,
  checkAuth,
  checkGatewayReachable,
  checkDiskSpace,
  checkBrowser,
  checkProviders,
  checkLocalModels,
  checkLocalRuntime,
  checkDocumentLibraries,
  checkScreenshot,
  checkExecPolicy,
  checkMcpServers,
  checkMemory,
  checkCron,
  checkDevices,
  checkBackups,
  checkTelegram,
  checkSpeech,
];

/** Runs every check; a check that throws is reported as a failure, never as a crash. */
export async function runDoctor(input: DoctorInput, checks = DOCTOR_CHECKS): Promise<DoctorReport> {
  const results = await Promise.all(checks.map(async (check) => {
    try {
      return await check(input);
    } catch (error) {
      return {
        id: check.name || "check",
        name: check.name || "check",
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
