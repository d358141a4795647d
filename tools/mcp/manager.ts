/**
 * @module The MCP client manager: one connection per configured server, all started
 * concurrently, each server's tools published to the tool registry as `mcp:<server>:<tool>`.
 * Applying a new `tools.mcpServers` touches only the servers whose settings changed.
 */

import type { Logger } from "../../core/logger.ts";
import type { ToolRegistry } from "../registry.ts";
import type { Tool } from "../tool.ts";
import {
  configuredTransport,
  type McpServerConfig,
  parseMcpToolName,
  serverFingerprint,
} from "./server_config.ts";
import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import type { Backoff, McpServerConnection, McpServerStatus } from "./server_connection.ts";

/**
 * The connection module (the MCP client glue, tool results, the sandboxed launch): loaded with
 * the first configured server, so a gateway without MCP servers never loads it (issue 17).
 */
const connectionModule = loadOnce(() =>
  importLazily<typeof import("./server_connection.ts")>(
    new URL("./server_connection.ts", import.meta.url),
  )
);

/** What {@linkcode McpManager.apply} changed. */
export interface McpConfigDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

/** Options for {@linkcode McpManager}. */
export interface McpManagerOptions {
  logger: Logger;
  /** Where each server's tools are published; none for one-off use (the CLI). */
  registry?: ToolRegistry;
  /**
   * Reconnect delays; `null` connects each server once and never retries.
   * @default { initialMs: 1000, maxMs: 60000 }
   */
  backoff?: Backoff | null;
  /** What a server with `sandbox` on must not see (the state dir, home). */
  sandboxHidden?: string[];
}

interface Entry {
  fingerprint: string;
  connection: McpServerConnection;
  unregister?: () => void;
}

export class McpManager {
  #options: McpManagerOptions;
  #servers = new Map<string, Entry>();
  #queue: Promise<unknown> = Promise.resolve();
  /** The newest config handed to `apply` while it waits for the connection module or the queue. */
  #pending: Readonly<Record<string, McpServerConfig>> | undefined;
  #closed = false;

  constructor(options: McpManagerOptions) {
    this.#options = options;
  }

  /**
   * Makes the running servers match `servers`: removed and changed ones are disconnected (their
   * children ended), new and changed ones start connecting. Resolves once the old ones are
   * closed; new ones connect in the background (see {@linkcode ready}).
   */
  apply(servers: Readonly<Record<string, McpServerConfig>>): Promise<McpConfigDiff> {
    this.#pending = servers;
    const run = this.#queue.then(() => this.#apply(servers)).finally(() => {
      if (this.#pending === servers) this.#pending = undefined;
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** Resolves when every server's current connection attempt has finished. */
  async ready(): Promise<void> {
    await this.#queue;
    await Promise.all([...this.#servers.values()].map((entry) => entry.connection.ready()));
  }

  /**
   * Every configured server, in config order. A server whose connection is not built yet (the
   * connection module still loading, or an earlier apply still closing servers) shows as
   * `connecting`, so a status asked right after start never says "no servers".
   */
  status(): McpServerStatus[] {
    const pending = this.#pending;
    if (!pending) return [...this.#servers.values()].map((entry) => entry.connection.status());
    return Object.entries(pending).map(([name, config]) => {
      const entry = this.#servers.get(name);
      if (entry?.fingerprint === serverFingerprint(config)) return entry.connection.status();
      return {
        name,
        transport: configuredTransport(config),
        state: config.enabled ? "connecting" : "disabled",
        toolCount: 0,
        tools: [],
        failures: 0,
      };
    });
  }

  /** Every connected server's tools. */
  tools(): Tool[] {
    return [...this.#servers.values()].flatMap((entry) => entry.connection.tools());
  }

  /** Looks up `mcp:<server>:<tool>`. */
  tool(name: string): Tool | undefined {
    const parsed = parseMcpToolName(name);
    if (!parsed) return undefined;
    return this.#servers.get(parsed.server)?.connection.tools().find((tool) => tool.name === name);
  }

  /** Disconnects every server; no child process outlives this. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#queue;
    const entries = [...this.#servers.values()];
    this.#servers.clear();
    await Promise.all(entries.map((entry) => this.#remove(entry)));
  }

  async #apply(servers: Readonly<Record<string, McpServerConfig>>): Promise<McpConfigDiff> {
    const diff: McpConfigDiff = { added: [], removed: [], changed: [] };
    if (this.#closed) return diff;
    const Connection = Object.keys(servers).length
      ? (await connectionModule()).McpServerConnection
      : undefined;
    if (this.#closed) return diff;
    const stale: Entry[] = [];
    for (const [name, entry] of this.#servers) {
      const next = servers[name];
      if (!next) diff.removed.push(name);
      else if (serverFingerprint(next) !== entry.fingerprint) diff.changed.push(name);
      else continue;
      stale.push(entry);
      this.#servers.delete(name);
    }
    await Promise.all(stale.map((entry) => this.#remove(entry)));
    // Rebuild in config order so status lists servers as the file does.
    const kept = new Map(this.#servers);
    this.#servers.clear();
    for (const [name, config] of Object.entries(servers)) {
      const existing = kept.get(name);
      if (existing) {
        this.#servers.set(name, existing);
        continue;
      }
      if (!diff.changed.includes(name)) diff.added.push(name);
      this.#servers.set(name, this.#add(Connection!, name, config));
    }
    if (diff.added.length || diff.removed.length || diff.changed.length) {
      this.#options.logger.info("mcp servers updated", { ...diff });
    }
    return diff;
  }

  #add(Connection: typeof McpServerConnection, name: string, config: McpServerConfig): Entry {
    const connection = new Connection(name, config, {
      logger: this.#options.logger,
      backoff: this.#options.backoff,
      sandboxHidden: this.#options.sandboxHidden,
    });
    const entry: Entry = { fingerprint: serverFingerprint(config), connection };
    entry.unregister = this.#options.registry?.addSource(`mcp:${name}`, () => connection.tools());
    connection.start();
    return entry;
  }

  async #remove(entry: Entry): Promise<void> {
    entry.unregister?.();
    await entry.connection.close();
  }
}
