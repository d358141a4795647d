/**
 * @module What the gateway does when its config file changes or fails to load: the logger takes
 * the new logging settings, the change is logged, and clients get `config.changed` /
 * `config.error`.
 */

import type { ConfigStore } from "../core/config/store.ts";
import type { EventBus } from "../core/event_bus.ts";
import type { Logger } from "../core/logger.ts";

/** Follows the config store; returns the function that stops following it. */
export function followConfigChanges(
  configStore: ConfigStore,
  options: { logger: Logger; bus: EventBus },
): () => void {
  const { logger, bus } = options;
  const stopErrors = configStore.onError((error) => {
    logger.error("config reload failed; keeping the last good config", { error: error.message });
    bus.publish("config.error", { message: error.message, issues: error.issues });
  });
  const stopChanges = configStore.subscribe((next, previous) => {
    logger.configure({
      level: next.logging.level,
      consoleLevel: next.logging.consoleLevel,
      maxFileBytes: next.logging.maxFileBytes,
      maxFiles: next.logging.maxFiles,
    });
    const changed = Object.keys(next).filter((key) =>
      JSON.stringify(next[key as keyof typeof next]) !==
        JSON.stringify(previous[key as keyof typeof previous])
    );
    // A write or an edit of the file that left the effective config as it was (a key set to
    // its value, a default written out, a reformatted file) tells no client anything.
    if (changed.length === 0) return;
    logger.info("config reloaded", { changed });
    const g = next.gateway;
    if (g.port !== previous.gateway.port || g.bind !== previous.gateway.bind) {
      logger.warn("gateway.port / gateway.bind changed: restart the gateway to apply", {
        port: g.port,
        bind: g.bind,
      });
    }
    bus.publish("config.changed", { changed });
  });
  return () => {
    stopErrors();
    stopChanges();
  };
}
