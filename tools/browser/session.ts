/**
 * @module One running browser: a persistent Chromium context for one profile, its tabs with
 * stable ids, and which tab is current. The current tab is the most recently opened or focused
 * one that is still open; closing it makes the one used before it current.
 */

import type { BrowserContext, Page } from "playwright-core";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import {
  type GuardHooks,
  guardRedirects,
  guardWebSockets,
  installGuardRoute,
} from "./guard_route.ts";
import { safeTitle } from "./page_actions.ts";
import type { SsrfGuard } from "./ssrf_guard.ts";

/**
 * Flags for a headless Chromium running as root in a container. Without the
 * background-networking ones Chromium opens many connections of its own at start, which were
 * refused here many at a time and slowed every launch.
 */
export const CHROMIUM_FLAGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-default-apps",
  "--disable-extensions",
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-quic",
  "--metrics-recording-only",
];

/** How to launch one profile. */
export interface SessionOptions {
  profile: string;
  userDataDir: string;
  executablePath: string;
  headless: boolean;
  logger: Logger;
  guard: SsrfGuard;
  /** @default { width: 1280, height: 800 } */
  viewport?: { width: number; height: number };
}

/** A tab as clients see it. */
export interface TabInfo {
  tabId: string;
  url: string;
  title: string;
  active: boolean;
}

let nextTabNumber = 1;

/** A launched persistent context. Build with {@linkcode BrowserSession.launch}. */
export class BrowserSession {
  readonly profile: string;
  readonly sessionId = crypto.randomUUID();
  readonly startedAt = Date.now();
  readonly executablePath: string;
  readonly context: BrowserContext;
  #options: SessionOptions;
  #pages = new Map<string, Page>();
  #ids = new Map<Page, string>();
  /** Tab ids, least recently used first; the last one is the current tab. */
  #order: string[] = [];
  #guarded = new WeakSet<Page>();
  #guardRoute: Promise<void> | undefined;
  #hooks: GuardHooks | undefined;
  #hookedPages = new WeakSet<Page>();
  #blocked = new WeakMap<Page, string>();
  #closing: Promise<void> | undefined;
  #onClosed = new Set<() => void>();

  private constructor(context: BrowserContext, options: SessionOptions) {
    this.context = context;
    this.#options = options;
    this.profile = options.profile;
    this.executablePath = options.executablePath;
    for (const page of context.pages()) this.#register(page);
    context.on("page", (page) => this.#register(page));
    context.on("close", () => {
      this.#closing ??= Promise.resolve();
      for (const listener of this.#onClosed) listener();
    });
  }

  /** Starts Chromium on the profile's folder; playwright-core is loaded here, on first use. */
  static async launch(options: SessionOptions): Promise<BrowserSession> {
    const { chromium } = await import("playwright-core");
    const context = await chromium.launchPersistentContext(options.userDataDir, {
      executablePath: options.executablePath,
      headless: options.headless,
      args: CHROMIUM_FLAGS,
      viewport: options.viewport ?? { width: 1280, height: 800 },
      // Workers would fetch outside request routing, so the SSRF guard could not see them.
      serviceWorkers: "block",
      // The gateway owns the signals and stops the browser in its own shutdown.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      timeout: 30_000,
    });
    return new BrowserSession(context, options);
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Called once when the browser goes away (stopped, crashed, or killed). */
  onClosed(listener: () => void): void {
    this.#onClosed.add(listener);
  }

  get tabCount(): number {
    return this.#pages.size;
  }

  get currentTabId(): string | undefined {
    return this.#order.at(-1);
  }

  async tabs(): Promise<TabInfo[]> {
    const current = this.currentTabId;
    return await Promise.all([...this.#pages].map(async ([tabId, page]) => ({
      tabId,
      url: page.url(),
      title: await safeTitle(page),
      active: tabId === current,
    })));
  }

  /** The page of `tabId`, or of the current tab. @throws {GatewayError} NOT_FOUND */
  page(tabId?: string): Page {
    if (tabId !== undefined) {
      const page = this.#pages.get(tabId);
      if (!page) throw tabNotFound(tabId, this.profile);
      return page;
    }
    const current = this.currentTabId;
    if (!current) {
      throw new GatewayError(
        ErrorCode.NOT_FOUND,
        `No open tab in browser profile ${this.profile}: open one with browser.open`,
      );
    }
    return this.#pages.get(current)!;
  }

  tabIdOf(page: Page): string | undefined {
    return this.#ids.get(page);
  }

  /** Opens a blank tab and makes it current. */
  async newTab(): Promise<{ tabId: string; page: Page }> {
    const page = await this.context.newPage();
    const tabId = this.#register(page);
    this.#makeCurrent(tabId);
    return { tabId, page };
  }

  /** Makes `tabId` current and brings it to the front. @throws {GatewayError} NOT_FOUND */
  async focus(tabId: string): Promise<void> {
    const page = this.page(tabId);
    this.#makeCurrent(tabId);
    await page.bringToFront();
  }

  /** Closes `tabId`; the tab used before it becomes current. @throws {GatewayError} NOT_FOUND */
  async closeTab(tabId: string): Promise<void> {
    const page = this.page(tabId);
    this.#forget(page);
    await page.close();
  }

  /** Puts `page` under the SSRF guard (agent-driven); it stays guarded until released. */
  async guard(page: Page): Promise<void> {
    this.#guarded.add(page);
    this.#hooks ??= {
      guard: this.#options.guard,
      isGuarded: (candidate) => this.#isGuarded(candidate),
      onBlocked: (candidate, reason) => this.#blocked.set(candidate, reason),
    };
    this.#guardRoute ??= installGuardRoute(this.context, this.#hooks);
    await this.#guardRoute;
    await this.#hookPage(page);
  }

  /** Adds the per-page checks (redirects, WebSockets) once per page. */
  async #hookPage(page: Page): Promise<void> {
    if (!this.#hooks || this.#hookedPages.has(page)) return;
    this.#hookedPages.add(page);
    await Promise.all([guardRedirects(page, this.#hooks), guardWebSockets(page, this.#hooks)]);
  }

  /** Takes `page` back from the agent: operator actions are not subject to the guard. */
  release(page: Page): void {
    this.#guarded.delete(page);
  }

  /** Why the guard last refused a request of `page`, cleared as it is read. */
  takeBlockReason(page: Page): string | undefined {
    const reason = this.#blocked.get(page);
    this.#blocked.delete(page);
    return reason;
  }

  /** Closes the browser; safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.context.close().catch((error) => {
      this.#options.logger.warn("browser close failed", { profile: this.profile, error });
    });
    return this.#closing;
  }

  #register(page: Page): string {
    const known = this.#ids.get(page);
    if (known) return known;
    const tabId = `t${nextTabNumber++}`;
    this.#pages.set(tabId, page);
    this.#ids.set(page, tabId);
    // A tab the page opened itself (a popup) does not take the focus from the current one.
    this.#order.unshift(tabId);
    page.on("close", () => this.#forget(page));
    // Hook a popup of an agent page as early as possible.
    if (this.#hooks) this.#isGuarded(page).catch(() => {});
    return tabId;
  }

  /** Guarded pages, and the pages (popups) they opened: those are agent-driven too. */
  async #isGuarded(page: Page): Promise<boolean> {
    if (this.#guarded.has(page)) return true;
    const opener = await page.opener().catch(() => null);
    if (opener && await this.#isGuarded(opener)) {
      this.#guarded.add(page);
      // Not awaited: this runs inside a route handler, which must not wait on new routes.
      this.#hookPage(page).catch(() => {});
      return true;
    }
    return false;
  }

  #forget(page: Page): void {
    const tabId = this.#ids.get(page);
    if (!tabId) return;
    this.#ids.delete(page);
    this.#pages.delete(tabId);
    this.#order = this.#order.filter((id) => id !== tabId);
  }

  #makeCurrent(tabId: string): void {
    this.#order = [...this.#order.filter((id) => id !== tabId), tabId];
  }
}

export function tabNotFound(tabId: string, profile: string): GatewayError {
  return new GatewayError(
    ErrorCode.NOT_FOUND,
    `Tab not found: ${tabId} (browser profile ${profile})`,
  );
}
