/** @module The gateway's long-lived services, built once at start and shared by every handler. */

import { join } from "node:path";
import type { ConfigStore } from "../core/config/store.ts";
import type { EventBus } from "../core/event_bus.ts";
import type { Logger } from "../core/logger.ts";
import type { StatePaths } from "../core/paths.ts";
import { SystemEventQueue } from "../agent/system_events.ts";
import { UsageStore } from "../agent/usage_store.ts";
import { ChatService } from "../agent/chat_service.ts";
import { ProviderRegistry } from "../agent/providers/registry.ts";
import { registerLocalProvider } from "../agent/providers/llamacpp.ts";
import { LocalModelStore } from "../agent/models/model_store.ts";
import { SessionStore } from "../agent/sessions/session_store.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { BUILTIN_TOOLS } from "../tools/builtin_tools.ts";
import { ExecApprovalBroker } from "../tools/exec_approvals.ts";
import { FileDeliveryStore } from "../tools/file_delivery.ts";
import type { ToolServices } from "../tools/tool.ts";
import { BrowserManager } from "../tools/browser/manager.ts";
import { DevicePairing } from "../agent/devices/device_pairing.ts";
import { CronService } from "../agent/cron/cron_service.ts";
import { HeartbeatScheduler } from "../agent/heartbeat.ts";
import { ChannelManager } from "../agent/channels/channel_manager.ts";
import { assertAgentExists, runTurn } from "../agent/turn_runner.ts";
import { PlanStore } from "../agent/plans/plan_store.ts";
import { McpManager } from "../tools/mcp/manager.ts";
import { McpConfigWatcher } from "../tools/mcp/config_watcher.ts";
import { SkillCatalog } from "../tools/skills/skill_catalog.ts";

/** Services grouped by domain; each method family reads the ones it needs. */
export interface GatewayServices {
  usage: UsageStore;
  /** Model providers from `models.providers` (`models.*`, the run loop, `/v1/*`). */
  providers: ProviderRegistry;
  /** Session files (`sessions.*`, `chat.history`). */
  sessions: SessionStore;
  /** Every tool agents may call: the built-ins, plus MCP servers as sources (`tools.list`). */
  tools: ToolRegistry;
  /** `exec` commands waiting for a client's `tools.exec_approve`. */
  approvals: ExecApprovalBroker;
  /** Files `send_file` offered for download (`GET /files/<id>?token=`). */
  fileDelivery: FileDeliveryStore;
  /** Runs agent turns on sessions (`chat.*`, `/v1/*` with `agent:<id>`, cron, channels). */
  chat: ChatService;
  systemEvents: SystemEventQueue;
  /** Pairing codes and paired devices' tokens (`device.*`, `connect`). */
  devices: DevicePairing;
  /** Scheduled agent turns (`cron.*`). */
  cron: CronService;
  /** The periodic agent turn of `agents.defaults.heartbeat` (`system.heartbeat.last`). */
  heartbeat: HeartbeatScheduler;
  /** Chat channels (webchat, telegram) and the routing of their messages (`channels.*`). */
  channels: ChannelManager;
  /** Running Chromium profiles (`browser.*`, the agent's `browser` tool). */
  browser: BrowserManager;
  /** MCP server connections; their tools are sources of `tools` (`mcp.status`). */
  mcp: McpManager;
  /** Keeps `mcp` in step with `tools.mcpServers` as the config file changes. */
  mcpWatcher: McpConfigWatcher;
  /** Skill folders (`skills.list`, the `read_skill` tool, the system prompt). */
  skills: SkillCatalog;
  /** Plans the agent writes with the `plan` tool (`plan.*`). */
  plans: PlanStore;
}

/** What services are built from. */
export interface ServiceDeps {
  configStore: ConfigStore;
  paths: StatePaths;
  logger: Logger;
  bus: EventBus;
  env: Record<string, string | undefined>;
}

/** Builds every service. Heavy ones must load their libraries lazily, on first use. */
export function createServices(deps: ServiceDeps): GatewayServices {
  const config = () => deps.configStore.current;
  const usage = new UsageStore(deps.paths.usageFile);
  const providers = new ProviderRegistry({ config, env: deps.env });
  // Downloaded GGUFs are served as `llamacpp/<id>`; node-llama-cpp loads on the first request.
  registerLocalProvider(providers, {
    store: new LocalModelStore(deps.paths.modelsDir),
    settings: () => config().models.local,
  });
  const sessions = new SessionStore(deps.paths);
  const tools = new ToolRegistry(BUILTIN_TOOLS);
  const systemEvents = new SystemEventQueue();
  // Filled with every service below, so tools reach the browser manager, approvals, and so on.
  const toolServices: ToolServices = { env: deps.env };
  const chat = new ChatService({
    config,
    providers,
    sessions,
    paths: deps.paths,
    logger: deps.logger.child({ component: "agent" }),
    tools,
    usage,
    systemEvents,
    toolServices,
    publish: (event, payload) => deps.bus.publish({ event, payload }),
    emit: (event, payload) => deps.bus.publish({ event, payload }),
  });
  const mcp = new McpManager({ logger: deps.logger.child({ component: "mcp" }), registry: tools });
  const mcpWatcher = new McpConfigWatcher(deps.configStore, mcp, deps.logger);
  mcpWatcher.start(); // connects in the background: a slow server never delays start-up
  const plans = new PlanStore({
    dir: deps.paths.plansDir,
    logger: deps.logger.child({ component: "plans" }),
    isRunActive: (agentId, sessionId) => chat.isActive(agentId, sessionId),
    runAgent: (plan, message) =>
      chat.run({ agentId: plan.agentId, sessionId: plan.sessionId, message }),
  });
  const cron = new CronService({
    cronDir: deps.paths.cronDir,
    logger: deps.logger.child({ component: "cron" }),
    settings: () => config().cron,
    runner: {
      run: (turn, signal) => runTurn(chat, turn, signal),
      checkAgent: (agentId) => assertAgentExists(config(), agentId),
    },
  });
  // Loads saved jobs in the background; cron.* methods wait for it.
  cron.start().catch((error) =>
    deps.logger.error("cron jobs could not be loaded", { error: (error as Error).message })
  );
  const heartbeat = new HeartbeatScheduler({
    settings: () => config().agents.defaults.heartbeat,
    run: (message, signal) =>
      runTurn(chat, { agentId: "main", sessionId: "heartbeat", message }, signal),
    systemEvents,
    logger: deps.logger.child({ component: "heartbeat" }),
  });
  heartbeat.arm();
  heartbeat.onStop(deps.configStore.subscribe(() => heartbeat.arm()));
  // `system.event` with mode "now" does not wait for the next beat.
  heartbeat.onStop(deps.bus.subscribe(({ event, payload }) => {
    if (event === "system.event" && (payload as { mode?: string }).mode === "now") {
      heartbeat.beat();
    }
  }));
  const channels = new ChannelManager({
    config,
    runTurn: (turn, signal) => runTurn(chat, turn, signal),
    logger: deps.logger.child({ component: "channels" }),
    onConfigChange: (listener) => deps.configStore.subscribe(listener),
  });
  channels.start();
  const services: GatewayServices = {
    usage,
    providers,
    sessions,
    tools,
    approvals: new ExecApprovalBroker((event, payload) => deps.bus.publish({ event, payload })),
    fileDelivery: new FileDeliveryStore({
      dir: join(deps.paths.mediaDir, "outgoing"),
      ttlMs: () => config().tools.sendFile.urlTtlMs,
    }),
    chat,
    cron,
    heartbeat,
    channels,
    systemEvents,
    devices: new DevicePairing(deps.paths.pairingsFile, {
      codeTtlMs: () => deps.configStore.current.devices.codeTtlMs,
    }),
    browser: new BrowserManager({
      browserDir: deps.paths.browserDir,
      config: () => deps.configStore.current.browser,
      env: deps.env,
      logger: deps.logger.child({ component: "browser" }),
    }),
    mcp,
    mcpWatcher,
    skills: new SkillCatalog(() => config().skills.dirs, deps.paths.root),
    plans,
  };
  Object.assign(toolServices, services);
  return services;
}

/** Stops what the services started (children, timers, browsers). */
export async function closeServices(services: GatewayServices): Promise<void> {
  // Plans pause as "gateway stopped" before their runs are aborted below.
  await services.plans.pauseAll().catch(() => {});
  // Waiting commands are denied before the runs that wait on them are stopped.
  services.approvals.close();
  // Scheduled runs stop (and record their end) before the chat service closes under them.
  await services.cron.stop().catch(() => {});
  await services.heartbeat.stop().catch(() => {});
  await services.channels.stop().catch(() => {});
  await services.chat.close().catch(() => {});
  await services.fileDelivery.close().catch(() => {});
  await services.providers.close().catch(() => {});
  // The usage of the runs just stopped reaches the disk.
  await services.usage.flush().catch(() => {});
  // No Chromium may outlive the gateway.
  await services.browser.close().catch(() => {});
  await services.devices.store.flush().catch(() => {});
  await services.plans.close().catch(() => {});
  // No MCP server process may outlive the gateway.
  await services.mcpWatcher.stop();
  await services.mcp.close().catch(() => {});
}
