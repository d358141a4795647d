/**
 * @module McpConfigWatcher: keeps the MCP servers in step with `tools.mcpServers`. It follows
 * the config store's one file watcher, and every `tools.mcpPollIntervalMs` also checks the
 * file's modification time, because file events can be missed (a config file that is a symlink
 * into another folder, network file systems, a replaced state dir).
 */

import type { ConfigStore } from "../../core/config/store.ts";
import { errorMessage } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { webTimeout } from "../../core/web_timeout.ts";
import type { McpManager } from "./manager.ts";

/** Options for {@linkcode McpConfigWatcher}. */
export interface McpConfigWatcherOptions {
  /** Check the file's mtime between file events. @default true */
  poll?: boolean;
}

export class McpConfigWatcher {
  #store: ConfigStore;
  #manager: McpManager;
  #logger: Logger;
  #unsubscribe: (() => void) | undefined;
  #cancelPoll = () => {};
  #lastStamp: string | undefined;
  #poll: boolean;
  #stopped = false;
  #inFlight: Promise<unknown> = Promise.resolve();

  constructor(
    store: ConfigStore,
    manager: McpManager,
    logger: Logger,
    options: McpConfigWatcherOptions = {},
  ) {
    this.#store = store;
    this.#manager = manager;
    this.#logger = logger;
    this.#poll = options.poll ?? true;
  }

  /** Connects the configured servers and starts following changes. */
  start(): void {
    this.#unsubscribe = this.#store.subscribe((next, previous) => {
      if (JSON.stringify(next.tools.mcpServers) === JSON.stringify(previous.tools.mcpServers)) {
        return;
      }
      this.#manager.apply(next.tools.mcpServers).catch((error) =>
        this.#logger.error("mcp reload failed", { error: errorMessage(error) })
      );
    });
    this.#manager.apply(this.#store.current.tools.mcpServers).catch((error) =>
      this.#logger.error("mcp start failed", { error: errorMessage(error) })
    );
    if (this.#poll) {
      this.#inFlight = this.#stamp().then((stamp) => {
        this.#lastStamp = stamp;
        this.#schedule();
      });
    }
  }

  /** Stops following changes (the servers stay up until the manager is closed). */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#cancelPoll();
    await this.#inFlight;
  }

  #schedule(): void {
    if (this.#stopped) return;
    // Not setTimeout, whose first call loads Deno's Node timers: this one runs at idle.
    this.#cancelPoll = webTimeout(() => {
      this.#inFlight = this.#check();
    }, this.#store.current.tools.mcpPollIntervalMs);
  }

  async #check(): Promise<void> {
    const stamp = await this.#stamp();
    if (this.#stopped) return;
    if (stamp !== this.#lastStamp) {
      this.#lastStamp = stamp;
      // The store ignores a file whose text it already has, so a change the watcher already
      // saw costs one read.
      await this.#store.reload().catch(() => {});
    }
    this.#schedule();
  }

  async #stamp(): Promise<string> {
    try {
      const info = await Deno.stat(this.#store.path);
      return `${info.mtime?.getTime()}:${info.size}`;
    } catch {
      return "missing";
    }
  }
}
