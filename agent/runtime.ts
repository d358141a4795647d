/**
 * @module The agent runtime, built in one place for the gateway and for `pyclaw agent --local`:
 * providers, sessions, tools (with MCP servers, skills, plans, the browser), usage and the chat
 * service, so both get the same system prompt and tools. Building it starts nothing; its
 * {@linkcode AgentRuntime.lifecycle} list starts and stops it.
 */

import { join } from "../core/path.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import type { ConfigStore } from "../core/config/store.ts";
import type { EventBus } from "../core/event_bus.ts";
import { type Service, ServiceList } from "../core/lifecycle.ts";
import type { Logger } from "../core/logger.ts";
import { importLazily } from "../core/lazy_module.ts";
import type { StatePaths } from "../core/paths.ts";
import { type BrowserControl, LazyBrowserManager } from "../tools/browser/lazy_manager.ts";
import { ExecApprovalBroker } from "../tools/exec_approvals.ts";
import { FileDeliveryStore } from "../tools/file_delivery.ts";
import { McpConfigWatcher } from "../tools/mcp/config_watcher.ts";
import { McpManager } from "../tools/mcp/manager.ts";
import { BackgroundProcesses } from "../tools/process/background_processes.ts";
import { ToolRegistry } from "../tools/registry.ts";
import { CommandSandbox, hiddenFromCommands } from "../tools/sandbox/command_sandbox.ts";
import { SkillCatalog } from "../tools/skills/skill_catalog.ts";
import type { ToolServices } from "../tools/tool.ts";
import { ChatService } from "./chat_service.ts";
import { MemoryService } from "./memory/memory_service.ts";
import { LocalModelStore } from "./models/model_store.ts";
import { PlanStore } from "./plans/plan_store.ts";
import type { RunEventSink } from "./run_types.ts";
import { registerLocalProvider } from "./providers/local_provider.ts";
import { ProviderRegistry } from "./providers/registry.ts";
import { SessionStore } from "./sessions/session_store.ts";
import { SystemEventQueue } from "./system_events.ts";
import { UsageStore } from "./usage_store.ts";

/** What the runtime is built from. */
export interface AgentRuntimeDeps<M extends RuntimeMode = RuntimeMode> {
  configStore: ConfigStore;
  paths: StatePaths;
  logger: Logger;
  /** Where approval requests are published, and the memory index hears that a turn ended. */
  bus: EventBus;
  /**
   * Told every event of every run, what tools report, and words posted into sessions: the
   * gateway publishes them to the session's clients as `chat.*` events. Absent: nobody listens.
   */
  onRunEvent?: RunEventSink;
  /** The environment the process started with (tools and providers never read `Deno.env`). */
  env: Record<string, string | undefined>;
  /**
   * `gateway`: clients are connected, so `exec` may ask them for approval and `send_file` may
   * offer download links; MCP servers follow `tools.mcpServers` as the file changes and connect in
   * the background. `local` (one CLI turn): no client to ask or to download, and the configured
   * MCP servers are connected before the turn starts.
   */
  mode: M;
  /** Where schedules and timeouts read the time (tests pass a manual clock). @default systemClock */
  clock?: Clock;
  /**
   * Local mode: connect the configured MCP servers before the runtime is ready. A command that
   * runs no agent turn (`pyclaw cron list --local`) needs no tools and leaves them unstarted.
   * @default true
   */
  connectMcp?: boolean;
}

/** Who the runtime serves: a gateway's clients, or one turn of the local CLI. */
export type RuntimeMode = "gateway" | "local";

/** Present in gateway mode only. */
type GatewayOnly<M extends RuntimeMode, T> = M extends "gateway" ? T : undefined;

/** The built runtime: its parts, and the services a tool can reach. */
export interface AgentRuntime<M extends RuntimeMode = RuntimeMode> {
  /** The time and timers of schedules and timeouts (cron, heartbeat, approvals). */
  clock: Clock;
  /** Model providers from `models.providers` (`models.*`, the run loop, `/v1/*`). */
  providers: ProviderRegistry;
  /** Session files (`sessions.*`, `chat.history`). */
  sessions: SessionStore;
  /** Every tool agents may call: the built-ins, plus MCP servers as sources (`tools.list`). */
  tools: ToolRegistry;
  /** Token usage of every model call (`usage.*`). */
  usage: UsageStore;
  /** Runs agent turns on sessions (`chat.*`, `/v1/*` with `agent:<id>`, cron, channels). */
  chat: ChatService;
  /** Events waiting for the next turn's prompt (`system.event`, heartbeat). */
  systemEvents: SystemEventQueue;
  /** `exec` commands waiting for a client's `tools.exec_approve` (gateway mode only). */
  approvals: GatewayOnly<M, ExecApprovalBroker>;
  /** Files `send_file` offered for download, `GET /files/<id>?token=` (gateway mode only). */
  fileDelivery: GatewayOnly<M, FileDeliveryStore>;
  /** Running Chromium profiles (`browser.*`, the agent's `browser` tool). */
  browser: BrowserControl;
  /** MCP server connections; their tools are sources of `tools` (`mcp.status`). */
  mcp: McpManager;
  /** Skill folders (`skills.list`, the `read_skill` tool, the system prompt). */
  skills: SkillCatalog;
  /** Plans the agent writes with the `plan` tool (`plan.*`). */
  plans: PlanStore;
  /** Background commands (`process`, `exec` with `background`); killed when the runtime stops. */
  processes: BackgroundProcesses;
  /** Long-term memory indexes (`memory.*`, the `memory_*` tools, `/v1/embeddings`). */
  memory: MemoryService;
  /** Confines `exec` and `process` commands in bubblewrap (doctor and the start line ask it). */
  sandbox: CommandSandbox;
  /** What tools reach through `ToolContext.services`. */
  toolServices: ToolServices;
  /**
   * The runtime's services in start order, with `runners` (services that start turns on this
   * runtime: schedulers, channels) placed so that at shutdown plans pause and waiting approvals
   * are denied first, then the runners stop, then the chat service aborts what is left, and the
   * stores, browsers and MCP servers close last.
   */
  lifecycle(runners?: Service[]): ServiceList;
}

/** Builds the agent runtime. Nothing starts until its lifecycle list does. */
export function buildAgentRuntime<M extends RuntimeMode>(
  deps: AgentRuntimeDeps<M>,
): AgentRuntime<M> {
  const { configStore, paths, logger, bus, env } = deps;
  const clock = deps.clock ?? systemClock;
  const config = () => configStore.current;
  const clients = deps.mode === "gateway";

  const providers = new ProviderRegistry({ config, env });
  // Downloaded GGUFs are served as `llamacpp/<id>`; node-llama-cpp loads on the first request.
  const localModels = new LocalModelStore(paths.modelsDir);
  registerLocalProvider(providers, { store: localModels, settings: () => config().models.local });
  const sessions = new SessionStore(paths);
  // The tool modules load on the first turn or `tools.list`, not at start.
  const tools = new ToolRegistry(async () =>
    (await importLazily<typeof import("../tools/builtin_tools.ts")>(
      new URL("../tools/builtin_tools.ts", import.meta.url),
    )).BUILTIN_TOOLS
  );
  const usage = new UsageStore(paths.usageFile);
  const systemEvents = new SystemEventQueue();
  const approvals = clients
    ? new ExecApprovalBroker((event, payload) => bus.publish(event, payload), clock)
    : undefined;
  const fileDelivery = clients
    ? new FileDeliveryStore({
      dir: join(paths.mediaDir, "outgoing"),
      ttlMs: () => config().tools.sendFile.urlTtlMs,
    })
    : undefined;
  const browser = new LazyBrowserManager({
    browserDir: paths.browserDir,
    config: () => config().browser,
    env,
    logger: logger.child({ component: "browser" }),
  });
  // Commands and sandboxed MCP servers never see the state dir, the config's folder or home.
  const hidden = hiddenFromCommands(paths.root, configStore.path, env);
  const mcp = new McpManager({
    logger: logger.child({ component: "mcp" }),
    registry: tools,
    sandboxHidden: hidden,
    // A local (one-off CLI) run reports one attempt per server: a retry timer firing while a
    // slow command runs would turn a failed server back to "connecting" in its report.
    ...(deps.mode === "local" ? { backoff: null } : {}),
  });
  const skills = new SkillCatalog(() => config().skills.dirs, paths.root);
  // The plan store runs turns through the chat service, which needs the plan store as a tool
  // service: the closures below reach `chat` only when called, after it is built.
  const plans = new PlanStore({
    dir: paths.plansDir,
    logger: logger.child({ component: "plans" }),
    isRunActive: (agentId, sessionId) => chat.isActive(agentId, sessionId),
    runAgent: (plan, message) =>
      chat.run({ agentId: plan.agentId, sessionId: plan.sessionId, message }),
  });
  const processes = new BackgroundProcesses(() => config().tools.process);
  const memory = new MemoryService({
    config,
    paths,
    bus,
    logger: logger.child({ component: "memory" }),
    sessions,
    providers,
    localModels,
    localSettings: () => config().models.local,
  });
  const sandbox = new CommandSandbox({ hidden, env });
  const toolServices: ToolServices = {
    env,
    sandbox,
    approvals,
    fileDelivery,
    browser,
    skills,
    plans,
    processes,
    memory,
  };
  const chat = new ChatService({
    config,
    providers,
    sessions,
    paths,
    logger: logger.child({ component: "agent" }),
    tools,
    usage,
    systemEvents,
    toolServices,
    ...(deps.onRunEvent ? { onRunEvent: deps.onRunEvent } : {}),
  });

  const lifecycle = (runners: Service[] = []) =>
    new ServiceList().add(
      { name: "mcp", stop: () => mcp.close() },
      mcpStarter(deps, mcp),
      { name: "plans", stop: () => plans.close() },
      { name: "skills", stop: () => skills.close() },
      { name: "browser", stop: () => browser.close() },
      { name: "usage", stop: () => usage.flush() },
      // Provider resolution asks the model index on every request: read it now, not then.
      { name: "localModels", start: () => localModels.load() },
      { name: "providers", stop: () => providers.close() },
      // The gateway indexes in the background; one local turn searches on demand only.
      {
        name: "memory",
        start: () => clients ? memory.start() : undefined,
        stop: () => memory.stop(),
      },
      { name: "fileDelivery", stop: () => fileDelivery?.close() },
      // Stopped after the chat service, so no run starts a command while they are killed.
      { name: "processes", stop: () => processes.close() },
      { name: "chat", stop: () => chat.close() },
      ...runners,
      { name: "approvals", stop: () => approvals?.close() },
      // Plans pause before their runs are aborted, so they read as stopped, not failed.
      {
        name: "plans.pause",
        // A local run pauses only its own: the CLI also runs beside a gateway (`--local` reads).
        stop: () => clients ? plans.pauseAll("gateway stopped") : plans.pauseOwn("local run ended"),
      },
    );

  return {
    clock,
    approvals: approvals as GatewayOnly<M, ExecApprovalBroker>,
    fileDelivery: fileDelivery as GatewayOnly<M, FileDeliveryStore>,
    providers,
    sessions,
    tools,
    usage,
    chat,
    systemEvents,
    browser,
    mcp,
    skills,
    plans,
    processes,
    memory,
    sandbox,
    toolServices,
    lifecycle,
  };
}

/** Connects the configured MCP servers: followed in the background (gateway) or once, awaited. */
function mcpStarter(deps: AgentRuntimeDeps, mcp: McpManager): Service {
  if (deps.mode === "local") {
    if (deps.connectMcp === false) return { name: "mcp.servers" };
    return {
      name: "mcp.servers",
      start: async () => {
        await mcp.apply(deps.configStore.current.tools.mcpServers);
        await mcp.ready();
      },
    };
  }
  // A slow server never delays start-up: the watcher connects in the background.
  const watcher = new McpConfigWatcher(deps.configStore, mcp, deps.logger);
  return {
    name: "mcp.watcher",
    start: () => watcher.start(),
    stop: () => watcher.stop(),
  };
}
