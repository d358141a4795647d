/**
 * @module An agent turn run in this process, for `pyclaw agent` when no gateway answers: the
 * gateway's own agent runtime (providers, sessions, tools, skills, plans, the browser, the
 * configured MCP servers), so the turn gets the same system prompt and tools, but none of the
 * gateway's schedulers (cron, heartbeat, channels), no listener and no client to ask for approval.
 */

import type { AgentEvent } from "../agent/run.ts";
import type { ChatOutcome } from "../agent/chat_service.ts";
import { compactionReport } from "../agent/compaction.ts";
import { type AgentRuntime, buildAgentRuntime } from "../agent/runtime.ts";
import { ConfigError } from "../core/config/load.ts";
import { ConfigStore } from "../core/config/store.ts";
import { GatewayError } from "../core/errors.ts";
import { EventBus } from "../core/event_bus.ts";
import { Logger } from "../core/logger.ts";
import { configPath, stateDir, type StatePaths, statePaths } from "../core/paths.ts";

/** One turn to run locally. */
export interface LocalTurn {
  agentId: string;
  sessionId: string;
  message: string;
  model?: string;
  signal?: AbortSignal;
  onEvent(event: AgentEvent): void;
}

/**
 * Runs one turn in this process and releases everything it started (MCP children, browsers,
 * local models) before returning.
 *
 * @throws {GatewayError} before anything runs: unknown agent or model, no model configured
 */
export async function runLocalTurn(
  configStore: ConfigStore,
  paths: StatePaths,
  turn: LocalTurn,
): Promise<ChatOutcome> {
  return await withLocalRuntime(configStore, paths, (runtime) =>
    runtime.chat.run({
      agentId: turn.agentId,
      sessionId: turn.sessionId,
      mode: "send",
      message: turn.message,
      model: turn.model,
    }, { signal: turn.signal, onEvent: turn.onEvent }));
}

/**
 * `sessions.compact` without a gateway: the session file at `path` (relative to the state dir,
 * or absolute) compacted with its agent's model.
 */
export async function compactLocally(path: string) {
  const env = Deno.env.toObject();
  let configStore: ConfigStore;
  try {
    configStore = await ConfigStore.open(configPath(env), { env });
  } catch (error) {
    if (error instanceof ConfigError) throw new GatewayError("INVALID_PARAMS", error.message);
    throw error;
  }
  return await withLocalRuntime(configStore, statePaths(stateDir(env)), async (runtime) => {
    const ref = await runtime.sessions.resolvePath(path);
    const result = await runtime.chat.compact(ref.agentId, ref.sessionId);
    return compactionReport(ref.path, result);
  });
}

/** Builds the agent runtime in this process, runs `work`, and stops everything it started. */
async function withLocalRuntime<T>(
  configStore: ConfigStore,
  paths: StatePaths,
  work: (runtime: AgentRuntime) => Promise<T>,
): Promise<T> {
  const logging = configStore.current.logging;
  // Runs leave the same trail in the log file as the gateway's, and nothing on the console.
  const logger = new Logger({
    file: paths.logFile,
    level: logging.level,
    consoleLevel: "silent",
    maxFileBytes: logging.maxFileBytes,
    maxFiles: logging.maxFiles,
  }).child({ via: "cli" });
  const runtime = buildAgentRuntime({
    configStore,
    paths,
    logger,
    bus: new EventBus(),
    env: Deno.env.toObject(),
    mode: "local",
  });
  const lifecycle = runtime.lifecycle();
  const stopFailed = (service: string, error: unknown) =>
    logger.error("service did not stop cleanly", { service, error });
  try {
    await lifecycle.start(stopFailed);
    return await work(runtime);
  } finally {
    await lifecycle.stop(stopFailed);
    logger.close();
  }
}
