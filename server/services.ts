/**
 * @module The gateway's long-lived services: the agent runtime (shared with the local CLI) plus
 * what only a gateway runs (paired devices, cron, heartbeat, channels), in one ordered list that
 * starts them in order and stops them in reverse. In local mode (the CLI's in-process route) the
 * same services answer the same methods, but nothing is scheduled: no cron run, heartbeat or
 * channel starts there.
 */

import type { Clock } from "../core/clock.ts";
import type { ConfigStore } from "../core/config/store.ts";
import type { EventBus } from "../core/event_bus.ts";
import type { Service, ServiceList } from "../core/lifecycle.ts";
import type { Logger } from "../core/logger.ts";
import type { StatePaths } from "../core/paths.ts";
import { type AgentRuntime, buildAgentRuntime, type RuntimeMode } from "../agent/runtime.ts";
import { chatEventPublisher } from "./chat_events.ts";
import { DevicePairing } from "../agent/devices/device_pairing.ts";
import { CronService } from "../agent/cron/cron_service.ts";
import { HeartbeatScheduler } from "../agent/heartbeat.ts";
import { ChannelManager } from "../agent/channels/channel_manager.ts";
import { assertAgentExists, runTurn } from "../agent/turn_runner.ts";
import { SessionDelivery } from "../agent/session_delivery.ts";
import { SessionDirectory } from "../agent/session_directory.ts";
import { SubagentRegistry } from "../agent/subagents.ts";

/** Services grouped by domain; each method family reads the ones it needs. */
export interface GatewayServices extends Omit<AgentRuntime, "lifecycle"> {
  /** Pairing codes and paired devices' tokens (`device.*`, `connect`). */
  devices: DevicePairing;
  /** Scheduled agent turns (`cron.*`). */
  cron: CronService;
  /** The periodic agent turn of `agents.defaults.heartbeat` (`system.heartbeat.last`). */
  heartbeat: HeartbeatScheduler;
  /** Chat channels (webchat, telegram) and the routing of their messages (`channels.*`). */
  channels: ChannelManager;
  /** Turns and messages into sessions on the gateway's initiative; the `message` tool. */
  messages: SessionDelivery;
  /** Sessions and agents for the session tools (`sessions_list`, `sessions_send`, ...). */
  sessionDirectory: SessionDirectory;
  /** Sub-agents of `sessions_spawn` and `subagents`. */
  subagents: SubagentRegistry;
}

/** What services are built from. */
export interface ServiceDeps {
  configStore: ConfigStore;
  paths: StatePaths;
  logger: Logger;
  bus: EventBus;
  env: Record<string, string | undefined>;
  /** Where schedules and timeouts read the time (tests pass a manual clock). @default systemClock */
  clock?: Clock;
  /**
   * `local`: services for one CLI command in this process. Cron jobs load but never run (the
   * gateway runs them), channels and the heartbeat stay stopped, and the agent runtime is built
   * for a local turn (no client to approve `exec`; see `buildAgentRuntime`).
   * @default "gateway"
   */
  mode?: RuntimeMode;
  /** Local mode: connect the configured MCP servers at start. @default true */
  connectMcp?: boolean;
}

/** The gateway's services, built, and the list that starts and stops them. */
export interface BuiltServices {
  services: GatewayServices;
  lifecycle: ServiceList;
}

/**
 * Builds every service; nothing starts (no timer, child, file or connection) until
 * `lifecycle.start()`. Heavy ones load their libraries lazily, on first use.
 */
export function createServices(deps: ServiceDeps): BuiltServices {
  const { configStore, logger, bus } = deps;
  const mode = deps.mode ?? "gateway";
  const config = () => configStore.current;
  // Runs, tools and posts reach the session's clients as `chat.*` events shaped in one place.
  const onRunEvent = chatEventPublisher((event, payload, sessionKey) =>
    bus.publish(event, payload, sessionKey)
  );
  const runtime = buildAgentRuntime({ ...deps, mode, onRunEvent });
  const { lifecycle: runtimeLifecycle, ...parts } = runtime;
  const { chat, systemEvents, clock } = parts;
  const devices = new DevicePairing(deps.paths.pairingsFile, {
    codeTtlMs: () => config().devices.codeTtlMs,
    now: () => clock.now(),
  });
  const cron = new CronService({
    cronDir: deps.paths.cronDir,
    logger: logger.child({ component: "cron" }),
    clock,
    // Disabled locally: loading neither catches up missed runs nor records them.
    settings: () => mode === "gateway" ? config().cron : { ...config().cron, enabled: false },
    runner: {
      // A job the agent made in a channel session answers on that channel too.
      run: (turn, signal) => messages.runTurn(turn, signal),
      checkAgent: (agentId) => assertAgentExists(config(), agentId),
    },
  });
  const heartbeat = new HeartbeatScheduler({
    settings: () => config().agents.defaults.heartbeat,
    run: (message, signal) =>
      runTurn(chat, { agentId: "main", sessionId: "heartbeat", message }, signal),
    systemEvents,
    logger: logger.child({ component: "heartbeat" }),
    clock,
  });
  const channels = new ChannelManager({
    config,
    runTurn: (turn, signal) => runTurn(chat, turn, signal),
    logger: logger.child({ component: "channels" }),
    onConfigChange: (listener) => configStore.subscribe(listener),
  });
  const messages = new SessionDelivery({
    chat,
    sessions: parts.sessions,
    channels,
    onRunEvent,
    logger: logger.child({ component: "messages" }),
  });
  const sessionDirectory = new SessionDirectory({
    config,
    sessions: parts.sessions,
    isActive: (agentId, sessionId) => chat.isActive(agentId, sessionId),
    delivery: messages,
    logger: logger.child({ component: "sessions" }),
  });
  const subagents = new SubagentRegistry({
    chat,
    delivery: messages,
    settings: () => config().agents.defaults.subagents,
    logger: logger.child({ component: "subagents" }),
  });
  const schedulers = mode === "gateway";
  if (schedulers) {
    // The tools that schedule, send and spawn exist in a gateway only: a local turn ends with
    // its command, before a job, a channel message or a sub-agent could follow up.
    const { toolServices } = parts;
    toolServices.cron = cron;
    toolServices.messages = messages;
    toolServices.sessionDirectory = sessionDirectory;
    toolServices.subagents = subagents;
  }
  const channelsAndHeartbeat: Service[] = [
    { name: "channels", start: () => channels.start(), stop: () => channels.stop() },
    {
      name: "heartbeat",
      start: () => {
        heartbeat.arm();
        heartbeat.onStop(configStore.subscribe(() => heartbeat.arm()));
        // `system.event` with mode "now" does not wait for the next beat.
        heartbeat.onStop(bus.subscribe(({ event, payload }) => {
          if (event === "system.event" && payload.mode === "now") {
            heartbeat.beat();
          }
        }));
      },
      stop: () => heartbeat.stop(),
    },
  ];
  const lifecycle = runtimeLifecycle([
    { name: "devices", stop: () => devices.store.flush() },
    ...(schedulers ? channelsAndHeartbeat : []),
    {
      name: "cron",
      // Saved jobs load in the background; cron.* methods wait for them.
      start: () => {
        cron.start().catch((error) =>
          logger.error("cron jobs could not be loaded", { error: (error as Error).message })
        );
      },
      stop: () => cron.stop(),
    },
    // Stops before the channels its reports go to; kills running sub-agents without a report.
    { name: "subagents", start: () => subagents.start(), stop: () => subagents.stop() },
  ]);
  const services: GatewayServices = {
    ...parts,
    devices,
    cron,
    heartbeat,
    channels,
    messages,
    sessionDirectory,
    subagents,
  };
  return { services, lifecycle };
}
