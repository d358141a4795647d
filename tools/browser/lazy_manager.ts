/**
 * @module The browser manager as the gateway holds it: the manager's module (Playwright's
 * launcher glue, the SSRF guard, the profile store, the `browser.*` parameter schemas) loads
 * with the first browser call, not at every start (issue 17). A gateway that never drives a
 * browser never loads it; one that does pays the load once, on that first call.
 */

import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import type { BrowserManager, BrowserManagerOptions } from "./manager.ts";

/** What the RPC methods and the agent's `browser` tool use of a manager. */
export type BrowserControl = Pick<
  BrowserManager,
  | "status"
  | "start"
  | "stop"
  | "tabs"
  | "open"
  | "navigate"
  | "click"
  | "type"
  | "screenshot"
  | "snapshot"
  | "evaluate"
  | "page"
  | "focusTab"
  | "closeTab"
  | "listProfiles"
  | "createProfile"
  | "deleteProfile"
  | "running"
  | "close"
>;

/** A {@linkcode BrowserManager} built on the first call that needs one. */
export class LazyBrowserManager implements BrowserControl {
  #manager: BrowserManager | undefined;
  #closed = false;
  #load: () => Promise<BrowserManager>;

  constructor(options: BrowserManagerOptions) {
    this.#load = loadOnce(async () => {
      const { BrowserManager } = await importLazily<typeof import("./manager.ts")>(
        new URL("./manager.ts", import.meta.url),
      );
      this.#manager ??= new BrowserManager(options);
      // Closed while the module loaded: the manager refuses to start browsers from now on.
      if (this.#closed) await this.#manager.close();
      return this.#manager;
    });
  }

  status: BrowserManager["status"] = async (...a) => (await this.#load()).status(...a);
  start: BrowserManager["start"] = async (...a) => (await this.#load()).start(...a);
  stop: BrowserManager["stop"] = async (...a) => (await this.#load()).stop(...a);
  tabs: BrowserManager["tabs"] = async (...a) => (await this.#load()).tabs(...a);
  open: BrowserManager["open"] = async (...a) => (await this.#load()).open(...a);
  navigate: BrowserManager["navigate"] = async (...a) => (await this.#load()).navigate(...a);
  click: BrowserManager["click"] = async (...a) => (await this.#load()).click(...a);
  type: BrowserManager["type"] = async (...a) => (await this.#load()).type(...a);
  screenshot: BrowserManager["screenshot"] = async (...a) => (await this.#load()).screenshot(...a);
  snapshot: BrowserManager["snapshot"] = async (...a) => (await this.#load()).snapshot(...a);
  evaluate: BrowserManager["evaluate"] = async (...a) => (await this.#load()).evaluate(...a);
  page: BrowserManager["page"] = async (...a) => (await this.#load()).page(...a);
  focusTab: BrowserManager["focusTab"] = async (...a) => (await this.#load()).focusTab(...a);
  closeTab: BrowserManager["closeTab"] = async (...a) => (await this.#load()).closeTab(...a);
  listProfiles: BrowserManager["listProfiles"] = async () => (await this.#load()).listProfiles();
  createProfile: BrowserManager["createProfile"] = async (...a) =>
    (await this.#load()).createProfile(...a);
  deleteProfile: BrowserManager["deleteProfile"] = async (...a) =>
    (await this.#load()).deleteProfile(...a);

  /** Names of the profiles with a running browser: none before the first call. */
  get running(): string[] {
    return this.#manager?.running ?? [];
  }

  /** Stops every browser; a manager never loaded has none, and is not loaded to close. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#manager?.close();
  }
}
