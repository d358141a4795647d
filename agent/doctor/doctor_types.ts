/**
 * @module The shapes of the doctor: a check's finding, the report, and what checks look at (and
 * the agents they look at). Apart from `doctor.ts` so that the check modules it lists do not
 * import it back.
 */

import type { Config } from "../../core/config/schema.ts";
import type { ConfigIssue, StartOverrides } from "../../core/config/load.ts";
import type { StatePaths } from "../../core/paths.ts";
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
  /** `--bind` / `--auth-token` of the gateway being checked (its own, or the one running). */
  overrides?: StartOverrides;
  /** The gateway's live MCP connections; without them the check connects to each server. */
  mcp?: { status(): McpServerStatus[]; ready(): Promise<void> };
  /** The auth of a running gateway, when the doctor runs inside one. */
  activeAuth?: { mode: "token" | "password" | "none"; source?: string };
}

export type DoctorCheckFn = (input: DoctorInput) => Promise<DoctorCheck | DoctorCheck[]>;

/** A check as the doctor runs it: what its finding is called, also when it throws. */
export interface DoctorCheckEntry {
  /** Its (first) finding's id; a check that throws is reported under it. */
  id: string;
  /** Its (first) finding's name, likewise. */
  title: string;
  run: DoctorCheckFn;
  /**
   * Runs before the other checks, alone: it times an answer (a fetch timeout), and the others'
   * synchronous work (node-llama-cpp loading its library, ~1 s) would stall the event loop and
   * eat that time.
   */
  timed?: boolean;
}

/**
 * The `agents.list` entries the gateway uses: the first with each id, as agent/agents.ts
 * `listAgents` / `resolveAgent` take it (config validation warns of the others).
 */
export function firstEntries<T extends { id: string }>(list: readonly T[]): T[] {
  const first = new Map<string, T>();
  for (const agent of list) if (!first.has(agent.id)) first.set(agent.id, agent);
  return [...first.values()];
}
