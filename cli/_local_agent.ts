/**
 * @module An agent turn run in this process, for `pyclaw agent` when no gateway answers: the
 * gateway's own agent runtime (providers, sessions, tools, skills, plans, the browser, the
 * configured MCP servers), so the turn gets the same system prompt and tools, but none of the
 * gateway's schedulers (cron, heartbeat, channels), no listener and no client to ask for approval.
 */

import type { AgentEvent } from "../agent/run.ts";
import type { ChatOutcome } from "../agent/chat_service.ts";
import { buildAgentRuntime } from "../agent/runtime.ts";
import type { ConfigStore } from "../core/config/store.ts";
import { EventBus } from "../core/event_bus.ts";
import { Logger } from "../core/logger.ts";
import type { StatePaths } from "../core/paths.ts";

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
    return await runtime.chat.run({
      agentId: turn.agentId,
      sessionId: turn.sessionId,
      mode: "send",
      message: turn.message,
      model: turn.model,
    }, { signal: turn.signal, onEvent: turn.onEvent });
  } finally {
    await lifecycle.stop(stopFailed);
    logger.close();
  }
}
