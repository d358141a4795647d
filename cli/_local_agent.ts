/**
 * @module An agent turn run in this process, for `pyclaw agent` when no gateway answers: the
 * same chat service, providers, session files and built-in tools the gateway uses, plus the
 * configured MCP servers, but none of its schedulers (cron, heartbeat) and no listener.
 */

import type { AgentEvent } from "../agent/run.ts";
import { type ChatOutcome, ChatService } from "../agent/chat_service.ts";
import { ProviderRegistry } from "../agent/providers/registry.ts";
import { registerLocalProvider } from "../agent/providers/llamacpp.ts";
import { LocalModelStore } from "../agent/models/model_store.ts";
import { SessionStore } from "../agent/sessions/session_store.ts";
import { UsageStore } from "../agent/usage_store.ts";
import { SystemEventQueue } from "../agent/system_events.ts";
import type { ConfigStore } from "../core/config/store.ts";
import { Logger } from "../core/logger.ts";
import type { StatePaths } from "../core/paths.ts";
import { BUILTIN_TOOLS } from "../tools/builtin_tools.ts";
import { ToolRegistry } from "../tools/registry.ts";
import type { ToolServices } from "../tools/tool.ts";

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
 * Runs one turn in this process and releases everything it started (MCP children, local
 * models) before returning.
 *
 * @throws {GatewayError} before anything runs: unknown agent or model, no model configured
 */
export async function runLocalTurn(
  configStore: ConfigStore,
  paths: StatePaths,
  turn: LocalTurn,
): Promise<ChatOutcome> {
  const config = () => configStore.current;
  const env = Deno.env.toObject();
  const logging = config().logging;
  // Runs leave the same trail in the log file as the gateway's, and nothing on the console.
  const logger = new Logger({
    file: paths.logFile,
    level: logging.level,
    consoleLevel: "silent",
    maxFileBytes: logging.maxFileBytes,
    maxFiles: logging.maxFiles,
  }).child({ component: "agent", via: "cli" });
  const providers = new ProviderRegistry({ config, env });
  registerLocalProvider(providers, {
    store: new LocalModelStore(paths.modelsDir),
    settings: () => config().models.local,
  });
  const tools = new ToolRegistry(BUILTIN_TOOLS);
  const mcp = await startMcp(config().tools.mcpServers, tools, logger);
  const toolServices: ToolServices = { env };
  const chat = new ChatService({
    config,
    providers,
    sessions: new SessionStore(paths),
    paths,
    logger,
    tools,
    usage: new UsageStore(paths.usageFile),
    systemEvents: new SystemEventQueue(),
    toolServices,
    publish: () => {},
    emit: () => {},
  });
  try {
    return await chat.run({
      agentId: turn.agentId,
      sessionId: turn.sessionId,
      mode: "send",
      message: turn.message,
      model: turn.model,
    }, { signal: turn.signal, onEvent: turn.onEvent });
  } finally {
    await chat.close().catch(() => {});
    await providers.close().catch(() => {});
    await mcp?.close().catch(() => {});
    logger.close();
  }
}

/** Connects the configured MCP servers (lazily loaded: most turns have none). */
async function startMcp(
  servers: ConfigStore["current"]["tools"]["mcpServers"],
  registry: ToolRegistry,
  logger: Logger,
) {
  const enabled = Object.fromEntries(
    Object.entries(servers).filter(([, server]) => server.enabled !== false),
  );
  if (Object.keys(enabled).length === 0) return undefined;
  const { McpManager } = await import("../tools/mcp/manager.ts");
  const manager = new McpManager({ logger: logger.child({ component: "mcp" }), registry });
  await manager.apply(enabled);
  await manager.ready();
  return manager;
}
