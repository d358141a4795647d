/** @module The gateway's long-lived services, built once at start and shared by every handler. */

import type { ConfigStore } from "../core/config/store.ts";
import type { EventBus } from "../core/event_bus.ts";
import type { Logger } from "../core/logger.ts";
import type { StatePaths } from "../core/paths.ts";
import { SystemEventQueue } from "../agent/system_events.ts";
import { UsageStore } from "../agent/usage_store.ts";
import { BrowserManager } from "../tools/browser/manager.ts";
import { DevicePairing } from "../agent/devices/device_pairing.ts";

/** Services grouped by domain; each method family reads the ones it needs. */
export interface GatewayServices {
  usage: UsageStore;
  systemEvents: SystemEventQueue;
  /** Pairing codes and paired devices' tokens (`device.*`, `connect`). */
  devices: DevicePairing;
  /** Running Chromium profiles (`browser.*`, the agent's `browser` tool). */
  browser: BrowserManager;
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
  return {
    usage: new UsageStore(deps.paths.usageFile),
    systemEvents: new SystemEventQueue(),
    devices: new DevicePairing(deps.paths.pairingsFile, {
      codeTtlMs: () => deps.configStore.current.devices.codeTtlMs,
    }),
    browser: new BrowserManager({
      browserDir: deps.paths.browserDir,
      config: () => deps.configStore.current.browser,
      env: deps.env,
      logger: deps.logger.child({ component: "browser" }),
    }),
  };
}

/** Stops what the services started (children, timers, browsers). */
export async function closeServices(services: GatewayServices): Promise<void> {
  // No Chromium may outlive the gateway.
  await services.browser.close().catch(() => {});
  await services.devices.store.flush().catch(() => {});
}
