/**
 * @module The gateway's memory service: one index per agent under `<state>/memory/`, kept up
 * to date in the background (finished turns and file-system events mark what changed; a
 * debounced sync reads only that), so a turn never waits on indexing. Implements what the
 * `memory_*` tools, `memory.*` methods and `/v1/embeddings` need.
 */

import { join } from "../../core/path.ts";
import type { Config } from "../../core/config/schema.ts";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import type { EventBus } from "../../core/event_bus.ts";
import type { Logger } from "../../core/logger.ts";
import type { StatePaths } from "../../core/paths.ts";
import type { SessionChange } from "../sessions/session_store.ts";
import type {
  MemoryBackend,
  MemoryGetRequest,
  MemoryGetResult,
  MemorySearchOptions,
  MemorySearchResult,
} from "../../tools/memory/memory_types.ts";
import { listAgents, resolveAgent } from "../agents.ts";
import { agentWorkspaceDir } from "../skills.ts";
import type { Embedder, EmbedderDeps } from "./embeddings.ts";
import type { MemoryIndex, SyncReport } from "./memory_index.ts";
import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import type { SearchSettings } from "./_ranking.ts";

/** What the memory service is built from. */
export interface MemoryServiceDeps extends EmbedderDeps {
  config(): Config;
  paths: StatePaths;
  bus: EventBus;
  logger: Logger;
  /** The session store whose changes (deletes, resets, cuts, appends) the index follows. */
  sessions?: { onChange(listener: (change: SessionChange) => void): () => void };
  /**
   * How often (ms) at most a background sync also scans every session file and memory file.
   * @default 3_600_000
   */
  fullScanIntervalMs?: number;
}

/**
 * Finished turns mark their sessions and the session store reports every delete, reset and cut,
 * so a background sync reads only those. What nobody reports, a session file removed or changed
 * by hand, only a scan of the whole sessions folder finds, at a stat per session: a gateway
 * running for months holds thousands, and a scan after every turn cost it that much each time
 * (issue 17). Once an hour, in the background, still finds them.
 */
const FULL_SCAN_INTERVAL_MS = 60 * 60 * 1_000;

/** `memory.status` for one agent. */
export type MemoryStatus = ReturnType<MemoryIndex["status"]> & {
  enabled: boolean;
  sources: string[];
  fts: "trigram";
  embedding: { provider: string; model: string } | null;
};

/** What `memory.reindex` reports for one agent. */
export type MemoryReindexReport = ReturnType<MemoryIndex["status"]> & SyncReport;

/**
 * The index and its SQLite store (node:sqlite, the chunker, the ranking: ~10 modules) and the
 * embedding clients (with the provider HTTP and SSE code) load with the first index opened or
 * embedding asked for, not with the service: an idle gateway keeps none of them (issue 17).
 */
const loadModules = loadOnce(async () => {
  const [index, embeddings] = await Promise.all([
    importLazily<typeof import("./memory_index.ts")>(new URL("./memory_index.ts", import.meta.url)),
    importLazily<typeof import("./embeddings.ts")>(new URL("./embeddings.ts", import.meta.url)),
  ]);
  return { index, embeddings };
});

/** An agent's workspace (watched alone, for `MEMORY.md`) and its `memory/` folder (recursively). */
interface MemoryFolders {
  workspace: string;
  memory: string;
}

/** The key of a folder's watcher in `#watchers`. */
function watchKey(agentId: string, dir: string): string {
  return `${agentId}:${dir}`;
}

export class MemoryService implements MemoryBackend {
  #deps: MemoryServiceDeps;
  #indexes = new Map<string, MemoryIndex>();
  /** Embedders by their settings (agents may override the provider and model). */
  #embedders = new Map<string, { embedder: Embedder | undefined; error?: string }>();
  /** Embedders `/v1/embeddings` asked for by name, kept (a local model stays loaded). */
  #named = new Map<string, { key: string; embedder: Promise<Embedder> }>();
  #timers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Agent -> when its scheduled sync may run (ms, `performance.now()`): the last change + debounce. */
  #due = new Map<string, number>();
  /** Watchers by `agentId:folder`; a folder missing at start is tried again later. */
  #watchers = new Map<string, Deno.FsWatcher>();
  #stops: (() => void)[] = [];
  #stopped = false;
  /**
   * The embedding clients' module, once this service has loaded it: each service holds its own
   * reference (a process may run several gateways, as the tests do), so none builds an embedder
   * on the strength of another service's load.
   */
  #embeddings: typeof import("./embeddings.ts") | undefined;

  constructor(deps: MemoryServiceDeps) {
    this.#deps = deps;
    // Followed for the service's life, also in a local run and after `stop()` (a no-op while
    // no index is open): a session deleted or reset must leave an open index before the next
    // search, whichever path deleted it.
    deps.sessions?.onChange((change) => this.#sessionChanged(change));
  }

  /**
   * A session file changed. An open index marks it, so the next search reads it first (a
   * deleted or reset session is never found again); a removal is also synced at once, so its
   * text leaves the index on disk too. An index not open yet scans every session when it opens.
   */
  #sessionChanged({ agentId, sessionId, kind }: SessionChange): void {
    const index = this.#indexes.get(agentId);
    if (!index) return;
    index.markSessionDirty(sessionId);
    // Appends and cuts (resend, edit) happen in a turn, whose `chat.done` schedules one sync.
    if (kind === "append" || kind === "truncate") return;
    // Memory off indexes nothing; the mark has the search that follows it on again drop the rows.
    if (!this.#settings(agentId).enabled) return;
    index.sync().catch((error) =>
      this.#deps.logger.warn("memory sync failed", { agentId, error: error.message })
    );
  }

  /** `agents.defaults.memorySearch`, with the agent's own `memorySearch` keys over it. */
  #settings(agentId?: string): SearchSettings {
    const config = this.#deps.config();
    const base = config.agents.defaults.memorySearch;
    const own = agentId ? config.agents.list.find((agent) => agent.id === agentId) : undefined;
    if (!own?.memorySearch) return base;
    const overrides = Object.entries(own.memorySearch).filter(([, value]) => value !== undefined);
    return { ...base, ...Object.fromEntries(overrides) };
  }

  /**
   * Starts the background work: the watchers and the turn listener. Nothing is read at start:
   * an index opens on its first search, status or finished turn, and its first sync scans
   * everything that changed while the gateway was down, so an idle gateway never loads SQLite.
   */
  start(): void {
    this.#stops.push(this.#deps.bus.subscribe((published) => {
      if (published.event === "config.changed") {
        // Memory settings and workspaces live under `agents`.
        if (published.payload.changed.includes("agents")) this.#rewatch();
        return;
      }
      if (published.event !== "chat.done" && published.event !== "chat.error") return;
      const { agentId, sessionId } = published.payload;
      // This runs inside the turn: opening the index (SQLite opened, synchronously) is left to
      // the scheduled sync, whose first pass scans every session. Marked also while the agent's
      // memory is off: once on again, its next sync reads the turns of that time.
      this.#indexes.get(agentId)?.markSessionDirty(sessionId);
      try {
        if (!this.#settings(agentId).enabled) return;
      } catch {
        return; // an agent no longer in config
      }
      this.#schedule(agentId);
    }));
    this.#rewatch();
  }

  /** The index and embedding modules, loaded with this service's first need of either. */
  async #load(): Promise<typeof import("./memory_index.ts")> {
    const { index, embeddings } = await loadModules();
    this.#embeddings = embeddings;
    return index;
  }

  /** The index of an agent, opened on first use. @throws {GatewayError} NOT_FOUND */
  async index(agentId: string): Promise<MemoryIndex> {
    const open = this.#indexes.get(agentId);
    if (open) return open;
    resolveAgent(this.#deps.config(), agentId);
    const { MemoryIndex } = await this.#load();
    await Deno.mkdir(this.#deps.paths.memoryDir, { recursive: true, mode: 0o700 });
    // Another caller may have opened it while the module loaded, or the service stopped: an
    // index opened then would hold its SQLite file open with nobody left to close it.
    const opened = this.#indexes.get(agentId);
    if (opened) return opened;
    if (this.#stopped) {
      throw new GatewayError(ErrorCode.INTERNAL_ERROR, "The memory service has stopped");
    }
    const index = new MemoryIndex({
      agentId,
      dbPath: join(this.#deps.paths.memoryDir, `${agentId}.sqlite`),
      workspaceDir: () => agentWorkspaceDir(this.#deps.config(), this.#deps.paths, agentId),
      sessionsDir: this.#deps.paths.sessionsDir(agentId),
      memoryWatched: () => this.#memoryWatched(agentId),
      settings: () => this.#settings(agentId),
      embedder: () => this.#embedderEntry(agentId).embedder,
      logger: this.#deps.logger,
    });
    this.#indexes.set(agentId, index);
    return index;
  }

  /** The agent's embedding model (one per distinct settings); undefined when none. */
  async embedder(agentId?: string): Promise<Embedder | undefined> {
    await this.#load();
    return this.#embedderEntry(agentId).embedder;
  }

  /** Once the embedding module has loaded (an open index implies it). */
  #embedderEntry(agentId?: string): { embedder: Embedder | undefined; error?: string } {
    const settings = this.#settings(agentId);
    const { provider, model, remote, local } = settings;
    const key = JSON.stringify([provider, model, remote, local]);
    let entry = this.#embedders.get(key);
    // A failed build is tried again: the model may have been downloaded or configured since.
    if (!entry || entry.error) {
      try {
        entry = { embedder: this.#embeddings!.createEmbedder(settings, this.#deps) };
      } catch (error) {
        entry = { embedder: undefined, error: (error as Error).message };
      }
      this.#embedders.set(key, entry);
    }
    return entry;
  }

  /**
   * Embeds texts with the model a `/v1/embeddings` request names (see
   * `embedderForModel` in embeddings.ts).
   *
   * @throws {GatewayError} NOT_FOUND for an unknown model
   */
  async embed(
    model: string,
    texts: readonly string[],
    signal?: AbortSignal,
  ): Promise<Float32Array[]> {
    const settings = this.#settings();
    const key = JSON.stringify([settings.provider, settings.model, settings.remote]);
    let named = this.#named.get(model);
    if (named?.key !== key) {
      // The entry is set before any await, so concurrent first requests share one embedder (a
      // second one, for a local GGUF model, would be a loaded model nobody closes).
      const replaced = named;
      const entry: { key: string; embedder: Promise<Embedder> } = {
        key,
        embedder: (async () => {
          await replaced?.embedder.then((old) => old.close()).catch(() => {});
          await this.#load();
          return this.#embeddings!.embedderForModel(model, settings, this.#deps);
        })(),
      };
      // An unknown model is asked about afresh next time: it may have been downloaded since.
      entry.embedder.catch(() => {
        if (this.#named.get(model) === entry) this.#named.delete(model);
      });
      this.#named.set(model, entry);
      named = entry;
    }
    return await (await named.embedder).embed(texts, signal);
  }

  /** Why the agent's embedding model cannot be used, if it cannot. */
  async embedderError(agentId?: string): Promise<string | undefined> {
    await this.#load();
    return this.#embedderEntry(agentId).error;
  }

  async search(
    agentId: string,
    query: string,
    options: MemorySearchOptions = {},
  ): Promise<MemorySearchResult> {
    resolveAgent(this.#deps.config(), agentId);
    const settings = this.#settings(agentId);
    if (!settings.enabled) return { results: [], mode: "text", disabled: true };
    if (!query.trim()) throw new GatewayError(ErrorCode.INVALID_PARAMS, "Query is empty");
    const index = await this.index(agentId);
    const result = await index.search(query, options);
    // A gateway only searched (no turns, no workspace events) schedules no sync of its own, and
    // the hourly full scan rides on one: a session file removed by hand would stay searchable.
    // A sync already scheduled makes the scan itself; the search never waits for it.
    if (this.#fullScanDue(index) && !this.#timers.has(agentId)) this.#schedule(agentId);
    const unusable = settings.query.hybrid.enabled ? this.#embedderEntry(agentId).error : undefined;
    return unusable && !result.warning
      ? { ...result, warning: `Embedding provider unusable, full-text results only: ${unusable}` }
      : result;
  }

  async get(agentId: string, request: MemoryGetRequest): Promise<MemoryGetResult> {
    return await (await this.index(agentId)).get(request);
  }

  /** What the index of each agent (or one) holds. */
  async status(agentId?: string): Promise<MemoryStatus[]> {
    const ids = agentId ? [agentId] : listAgents(this.#deps.config()).map((agent) => agent.id);
    const statuses: MemoryStatus[] = [];
    for (const id of ids) {
      const settings = this.#settings(id);
      const embedder = await this.embedder(id);
      const index = await this.index(id);
      index.markAllDirty();
      if (settings.enabled) await index.sync();
      statuses.push({
        ...index.status(),
        enabled: settings.enabled,
        sources: settings.sources,
        fts: "trigram",
        embedding: embedder ? { provider: embedder.provider, model: embedder.model } : null,
      });
    }
    return statuses;
  }

  /** Rebuilds an agent's index (or every agent's) from scratch. */
  async reindex(agentId?: string): Promise<MemoryReindexReport[]> {
    const ids = agentId ? [agentId] : listAgents(this.#deps.config()).map((agent) => agent.id);
    const reports: MemoryReindexReport[] = [];
    for (const id of ids) {
      const index = await this.index(id);
      const report = await index.sync({ full: true });
      await index.embedInBackground();
      reports.push({ ...index.status(), ...report });
    }
    return reports;
  }

  /**
   * Reads what changed after a quiet moment, off the turn's path. A change while the timer runs
   * only moves the time it is due: the timer re-arms for the rest when it fires early, rather
   * than being cleared and made again on every turn (issue 17: a timer per turn was a measurable
   * part of a turn's cost).
   */
  #schedule(agentId: string, delayMs = this.#settings().sync.watchDebounceMs): void {
    this.#due.set(agentId, performance.now() + delayMs);
    if (!this.#timers.has(agentId)) this.#arm(agentId, delayMs);
  }

  #fullScanDue(index: MemoryIndex): boolean {
    return index.sinceFullScan() >= (this.#deps.fullScanIntervalMs ?? FULL_SCAN_INTERVAL_MS);
  }

  #arm(agentId: string, delayMs: number): void {
    const timer = setTimeout(() => {
      const early = (this.#due.get(agentId) ?? 0) - performance.now();
      if (early > 0) return this.#arm(agentId, early);
      this.#timers.delete(agentId);
      this.#due.delete(agentId);
      // Here too, not only on `config.changed`: a stale watcher's own events schedule this, and
      // a config getter may be swapped with no event (a run without the gateway's config store).
      this.#closeStaleWatchers(this.#wantedFolders());
      this.index(agentId).then(
        (index) => {
          // Before the sync: a watcher started now has the sync list the memory files again.
          const folders = this.#watchedFolders(agentId);
          if (folders) this.#watch(agentId, folders);
          if (this.#fullScanDue(index)) index.markAllDirty();
          index.sync()
            .then(() => index.embedInBackground())
            .catch((error) =>
              this.#deps.logger.warn("memory sync failed", { agentId, error: error.message })
            );
        },
        (error) => {
          // A removed agent is expected; a module that failed to load is worth a line.
          if (!(error instanceof GatewayError)) {
            this.#deps.logger.warn("memory sync failed", { agentId, error: error.message });
          }
        },
      );
    }, delayMs);
    Deno.unrefTimer(timer as unknown as number);
    this.#timers.set(agentId, timer);
  }

  /** Watches the folders the config names now, and closes the watchers it no longer names. */
  #rewatch(): void {
    const wanted = this.#wantedFolders();
    this.#closeStaleWatchers(wanted);
    for (const [agentId, folders] of wanted) this.#watch(agentId, folders);
  }

  /** The folders the config has watched now, by agent (in the order of its agents). */
  #wantedFolders(): Map<string, MemoryFolders> {
    const wanted = new Map<string, MemoryFolders>();
    for (const agent of listAgents(this.#deps.config())) {
      const folders = this.#watchedFolders(agent.id);
      if (folders) wanted.set(agent.id, folders);
    }
    return wanted;
  }

  /**
   * Closes the watchers the config no longer asks for: an agent's old workspace after a reload,
   * an agent removed or with memory off, all of them once `sync.watch` is off. Left open, each
   * holds a watch on folders nothing reads, and its events keep scheduling syncs.
   */
  #closeStaleWatchers(wanted: ReadonlyMap<string, MemoryFolders>): void {
    const keys = new Set<string>();
    for (const [agentId, { workspace, memory }] of wanted) {
      keys.add(watchKey(agentId, workspace)).add(watchKey(agentId, memory));
    }
    for (const key of [...this.#watchers.keys()]) if (!keys.has(key)) this.#unwatch(key);
  }

  /** The agent's memory folders, when the config has them watched. */
  #watchedFolders(agentId: string): MemoryFolders | undefined {
    const settings = this.#settings(agentId);
    // Memory files left out of `sources` are not read: their events would schedule empty syncs.
    if (!this.#settings().sync.watch || !settings.enabled || !settings.sources.includes("memory")) {
      return undefined;
    }
    try {
      return this.#memoryFolders(agentId);
    } catch {
      return undefined; // an agent no longer in config
    }
  }

  // Sessions are not watched: a finished turn marks its own and the session store reports the
  // rest. A watcher there cost each turn a dozen events (every read and append of the session
  // file, each also opened again by the watcher thread) and a timer re-armed per event.
  #watch(agentId: string, { workspace, memory }: MemoryFolders): void {
    for (const [dir, recursive] of [[workspace, false], [memory, true]] as const) {
      const key = watchKey(agentId, dir);
      if (this.#watchers.has(key)) continue;
      let watcher: Deno.FsWatcher;
      try {
        watcher = Deno.watchFs(dir, { recursive });
      } catch {
        continue; // not there yet: syncs list the memory files afresh until it is watched
      }
      this.#watchers.set(key, watcher);
      // What changed before the watcher started went unreported.
      this.#indexes.get(agentId)?.markMemoryChanged();
      (async () => {
        for await (const { paths } of watcher) {
          // A watcher follows the folder it started on: once the folder is removed, renamed or
          // made anew, it sees nothing more at that path. Dropped, it is started again by the
          // sync this event schedules, on whatever is there then.
          if (paths.includes(workspace)) this.#unwatch(watchKey(agentId, workspace));
          if (paths.includes(workspace) || paths.includes(memory)) {
            this.#unwatch(watchKey(agentId, memory));
          }
          this.#indexes.get(agentId)?.markMemoryChanged();
          this.#schedule(agentId);
        }
      })().catch(() => {}).finally(() => this.#unwatch(key, watcher));
    }
  }

  /** Stops a folder's watcher (only `watcher`, when given: not one started since in its place). */
  #unwatch(key: string, watcher?: Deno.FsWatcher): void {
    const current = this.#watchers.get(key);
    if (!current || (watcher && watcher !== current)) return;
    this.#watchers.delete(key);
    try {
      current.close();
    } catch { /* already closed */ }
  }

  /** Whether watchers now report every change to the agent's memory files. */
  #memoryWatched(agentId: string): boolean {
    if (!this.#settings().sync.watch) return false;
    const { workspace, memory } = this.#memoryFolders(agentId);
    return this.#watchers.has(watchKey(agentId, workspace)) &&
      this.#watchers.has(watchKey(agentId, memory));
  }

  #memoryFolders(agentId: string): MemoryFolders {
    const workspace = agentWorkspaceDir(this.#deps.config(), this.#deps.paths, agentId);
    return { workspace, memory: join(workspace, "memory") };
  }

  /** Stops the watchers and timers and closes every index. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const stop of this.#stops.splice(0)) stop();
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    this.#due.clear();
    for (const key of [...this.#watchers.keys()]) this.#unwatch(key);
    for (const index of this.#indexes.values()) await index.close();
    this.#indexes.clear();
    for (const { embedder } of this.#embedders.values()) await embedder?.close().catch(() => {});
    this.#embedders.clear();
    for (const { embedder } of this.#named.values()) {
      await embedder.then((built) => built.close()).catch(() => {});
    }
    this.#named.clear();
  }
}
