/**
 * @module The browser manager: one Chromium per running profile, started on demand, and every
 * browser action the RPC methods and the agent tool share. Agent actions (`agent: true`) run
 * under the SSRF guard; operator actions (RPC) may open any http(s) page, loopback included.
 */

import type { Page } from "playwright-core";
import { join } from "../../core/path.ts";
import type { Config } from "../../core/config/schema.ts";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { findBrowserExecutable } from "./executable.ts";
import {
  clickElement,
  evaluateSource,
  fillElement,
  gotoUrl,
  htmlSnapshot,
  takeScreenshot,
} from "./page_actions.ts";
import { DEFAULT_PROFILE, ProfileStore, validateProfileName } from "./profiles.ts";
import { BrowserSession } from "./session.ts";
import { type HostResolver, SsrfGuard } from "./ssrf_guard.ts";

export type BrowserConfig = Config["browser"];

/** What the manager is built from. */
export interface BrowserManagerOptions {
  /** `<state>/browser`; profiles live in its `profiles` folder. */
  browserDir: string;
  /** The `browser` config section in force now. */
  config: () => BrowserConfig;
  env: Record<string, string | undefined>;
  logger: Logger;
  /** Host resolution for the SSRF guard. @default the system resolver */
  resolver?: HostResolver;
}

/** Which profile and tab an action targets, and whether the agent (not an operator) asks. */
export interface TargetOptions {
  profile?: string;
  tabId?: string;
  /** Agent-initiated: the SSRF guard applies. */
  agent?: boolean;
  timeoutMs?: number;
}

const OPERATOR_SCHEMES = new Set(["http:", "https:", "about:", "data:"]);

/** Owns every running browser; close it with {@linkcode BrowserManager.close}. */
export class BrowserManager {
  readonly profiles: ProfileStore;
  readonly guard: SsrfGuard;
  #options: BrowserManagerOptions;
  #sessions = new Map<string, BrowserSession>();
  #starting = new Map<string, Promise<BrowserSession>>();
  #closed = false;

  constructor(options: BrowserManagerOptions) {
    this.#options = options;
    this.profiles = new ProfileStore(
      join(options.browserDir, "profiles"),
      () => [...new Set([DEFAULT_PROFILE, options.config().defaultProfile])],
    );
    this.guard = new SsrfGuard(() => options.config().ssrf, options.resolver);
  }

  /** The validated profile name, the configured default when none is given. */
  profileName(profile?: string): string {
    return validateProfileName(profile ?? this.#options.config().defaultProfile);
  }

  async status(profile?: string) {
    const name = this.profileName(profile);
    if (!(await this.profiles.exists(name))) throw notFoundProfile(name);
    const config = this.#options.config();
    const session = this.#sessions.get(name);
    if (!session) {
      return { started: false, profile: name, tabCount: 0, enabled: config.enabled };
    }
    const page = session.currentTabId ? session.page() : undefined;
    return {
      started: true,
      profile: name,
      tabCount: session.tabCount,
      sessionId: session.sessionId,
      currentTabId: session.currentTabId ?? null,
      url: page?.url() ?? null,
      headless: config.headless,
      executablePath: session.executablePath,
      browserVersion: session.context.browser()?.version() ?? null,
      startedAt: new Date(session.startedAt).toISOString(),
      enabled: config.enabled,
    };
  }

  async start(profile?: string) {
    const session = await this.#start(this.profileName(profile));
    return { started: true, sessionId: session.sessionId };
  }

  async stop(profile?: string) {
    const name = await this.#knownProfile(profile);
    const session = this.#sessions.get(name) ?? await this.#starting.get(name)?.catch(() => {});
    this.#sessions.delete(name);
    await session?.close();
    return { started: false };
  }

  async tabs(profile?: string) {
    const session = this.#sessions.get(await this.#knownProfile(profile));
    return { tabs: session ? await session.tabs() : [] };
  }

  /**
   * The validated name of a profile that exists: an unknown one is NOT_FOUND, as `status` says,
   * rather than a profile with no tabs that a typo would seem to be.
   */
  async #knownProfile(profile?: string): Promise<string> {
    const name = this.profileName(profile);
    if (!this.#sessions.has(name) && !(await this.profiles.exists(name))) {
      throw notFoundProfile(name);
    }
    return name;
  }

  /** Opens `url` in a new tab that becomes current; on failure the tab is closed again. */
  async open(url: string, options: TargetOptions = {}) {
    const target = await this.#checkUrl(url, options.agent);
    const session = await this.#session(options.profile);
    const { tabId, page } = await session.newTab();
    try {
      const loaded = await this.#goto(session, page, target, options);
      return { opened: true, tabId, url: loaded.url, title: loaded.title };
    } catch (error) {
      await session.closeTab(tabId).catch(() => {});
      throw error;
    }
  }

  /** Loads `url` in the current tab (a new tab when none is open). */
  async navigate(url: string, options: TargetOptions = {}) {
    const target = await this.#checkUrl(url, options.agent);
    const session = await this.#session(options.profile);
    const page = options.tabId === undefined && !session.currentTabId
      ? (await session.newTab()).page
      : session.page(options.tabId);
    const loaded = await this.#goto(session, page, target, options);
    return { navigated: true, url: loaded.url, title: loaded.title, tabId: session.tabIdOf(page) };
  }

  async click(ref: string, options: TargetOptions = {}) {
    const { session, page } = await this.#target(options);
    await clickElement(page, ref, options.timeoutMs ?? this.#options.config().actionTimeoutMs);
    this.#throwIfBlocked(session, page);
    return { clicked: true, ref };
  }

  async type(ref: string, text: string, options: TargetOptions & { submit?: boolean } = {}) {
    const { session, page } = await this.#target(options);
    await fillElement(page, ref, text, {
      timeoutMs: options.timeoutMs ?? this.#options.config().actionTimeoutMs,
      submit: options.submit,
    });
    this.#throwIfBlocked(session, page);
    return { typed: true, ref };
  }

  async screenshot(options: TargetOptions & { fullPage?: boolean } = {}) {
    const { page } = await this.#target(options);
    return await takeScreenshot(page, {
      fullPage: options.fullPage,
      timeoutMs: options.timeoutMs ?? this.#options.config().navigationTimeoutMs,
    });
  }

  async snapshot(options: TargetOptions = {}) {
    const { page } = await this.#target(options);
    return await htmlSnapshot(page);
  }

  async evaluate(fn: string, options: TargetOptions = {}) {
    const { session, page } = await this.#target(options);
    const result = await evaluateSource(page, fn);
    this.#throwIfBlocked(session, page);
    return result;
  }

  /** The page an action targets (started on demand), guarded when the agent acts on it. */
  async page(options: TargetOptions = {}): Promise<Page> {
    return (await this.#target(options)).page;
  }

  async focusTab(tabId: string, profile?: string) {
    await this.#running(profile, tabId).focus(tabId);
    return { focused: true, tabId };
  }

  async closeTab(tabId: string, profile?: string) {
    await this.#running(profile, tabId).closeTab(tabId);
    return { closed: true, tabId };
  }

  async listProfiles() {
    const names = await this.profiles.list();
    const current = this.#options.config().defaultProfile;
    return {
      profiles: names.map((name) => {
        const session = this.#sessions.get(name);
        return {
          name,
          running: Boolean(session),
          tabCount: session?.tabCount ?? 0,
          isDefault: name === current,
          path: this.profiles.dirOf(name),
        };
      }),
    };
  }

  async createProfile(name: string) {
    const path = await this.profiles.create(validateProfileName(name));
    this.#options.logger.info("browser profile created", { profile: name });
    return { created: true, profile: name, path };
  }

  async deleteProfile(name: string) {
    validateProfileName(name);
    if (this.#sessions.has(name) || this.#starting.has(name)) {
      throw new GatewayError(
        ErrorCode.INVALID_PARAMS,
        `Browser profile ${name} is running: stop it with browser.stop before deleting it`,
      );
    }
    await this.profiles.remove(name);
    this.#options.logger.info("browser profile deleted", { profile: name });
    return { deleted: true };
  }

  /** Names of the profiles with a running browser. */
  get running(): string[] {
    return [...this.#sessions.keys()];
  }

  /** Stops every browser; later calls fail. Safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    const starting = [...this.#starting.values()].map((p) => p.catch(() => undefined));
    const sessions = [...this.#sessions.values(), ...(await Promise.all(starting))];
    this.#sessions.clear();
    await Promise.all(sessions.map((session) => session?.close()));
  }

  async [Symbol.asyncDispose]() {
    await this.close();
  }

  #start(name: string): Promise<BrowserSession> {
    const config = this.#options.config();
    if (this.#closed) {
      return Promise.reject(new GatewayError(ErrorCode.ABORTED, "The gateway is shutting down"));
    }
    if (!config.enabled) {
      return Promise.reject(
        new GatewayError(
          ErrorCode.INVALID_PARAMS,
          "Browser control is disabled: set browser.enabled to true",
        ),
      );
    }
    const running = this.#sessions.get(name);
    if (running) return Promise.resolve(running);
    let pending = this.#starting.get(name);
    if (!pending) {
      pending = this.#launch(name, config).finally(() => this.#starting.delete(name));
      this.#starting.set(name, pending);
    }
    return pending;
  }

  async #launch(name: string, config: BrowserConfig): Promise<BrowserSession> {
    const userDataDir = await this.profiles.prepare(name);
    const executable = await findBrowserExecutable({
      configured: config.executablePath,
      env: this.#options.env,
    });
    const began = performance.now();
    let session: BrowserSession;
    try {
      session = await BrowserSession.launch({
        profile: name,
        userDataDir,
        executablePath: executable.path,
        headless: config.headless,
        logger: this.#options.logger,
        guard: this.guard,
      });
    } catch (error) {
      const line = (error instanceof Error ? error.message : String(error)).split("\n")[0];
      throw new GatewayError(
        ErrorCode.INTERNAL_ERROR,
        `Could not start the browser ${executable.path} for profile ${name}: ${line}`,
      );
    }
    if (this.#closed) {
      await session.close();
      throw new GatewayError(ErrorCode.ABORTED, "The gateway is shutting down");
    }
    this.#sessions.set(name, session);
    session.onClosed(() => {
      if (this.#sessions.get(name) === session) this.#sessions.delete(name);
    });
    this.#options.logger.info("browser started", {
      profile: name,
      executable: executable.path,
      ms: Math.round(performance.now() - began),
    });
    return session;
  }

  /** The running session of a profile, started first when `browser.autoStart` allows. */
  async #session(profile?: string): Promise<BrowserSession> {
    const name = this.profileName(profile);
    const running = this.#sessions.get(name);
    if (running) return running;
    if (!this.#options.config().autoStart && !this.#starting.has(name)) {
      throw new GatewayError(
        ErrorCode.NOT_FOUND,
        `The browser is not running for profile ${name}: call browser.start first ` +
          `(browser.autoStart is off)`,
        { reason: "not_running" },
      );
    }
    return await this.#start(name);
  }

  /** A running session for tab operations, which never start a browser (its tabs cannot exist). */
  #running(profile: string | undefined, tabId: string): BrowserSession {
    const name = this.profileName(profile);
    const session = this.#sessions.get(name);
    if (!session) {
      throw new GatewayError(
        ErrorCode.NOT_FOUND,
        `Tab not found: ${tabId} (the browser is not running for profile ${name})`,
      );
    }
    return session;
  }

  async #target(options: TargetOptions) {
    const session = await this.#session(options.profile);
    const page = session.page(options.tabId);
    if (options.agent) await session.guard(page);
    session.takeBlockReason(page);
    return { session, page };
  }

  async #goto(session: BrowserSession, page: Page, url: string, options: TargetOptions) {
    if (options.agent) await session.guard(page);
    else session.release(page);
    session.takeBlockReason(page);
    const timeoutMs = options.timeoutMs ?? this.#options.config().navigationTimeoutMs;
    try {
      return await gotoUrl(page, url, timeoutMs);
    } catch (error) {
      this.#throwIfBlocked(session, page);
      throw error;
    }
  }

  /** Refuses URLs before any tab is touched: the SSRF policy for agents, schemes for operators. */
  async #checkUrl(url: string, agent?: boolean): Promise<string> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new GatewayError(ErrorCode.INVALID_PARAMS, `Invalid URL: ${JSON.stringify(url)}`);
    }
    if (agent) {
      const verdict = await this.guard.check(parsed.href);
      // The URL the caller asked for; the guard's reason names none.
      if (!verdict.allowed) throw blocked(`${verdict.reason} (${parsed.href})`);
    } else if (!OPERATOR_SCHEMES.has(parsed.protocol)) {
      throw new GatewayError(
        ErrorCode.INVALID_PARAMS,
        `Unsupported URL scheme ${parsed.protocol} in ${JSON.stringify(url)}: use http or https`,
      );
    }
    return parsed.href;
  }

  #throwIfBlocked(session: BrowserSession, page: Page): void {
    const reason = session.takeBlockReason(page);
    if (reason) throw blocked(reason);
  }
}

function blocked(reason: string): GatewayError {
  return new GatewayError(
    ErrorCode.INVALID_PARAMS,
    `Blocked by the browser SSRF policy: ${reason}`,
    {
      reason: "ssrf_blocked",
    },
  );
}

function notFoundProfile(name: string): GatewayError {
  return new GatewayError(ErrorCode.NOT_FOUND, `Browser profile not found: ${name}`);
}
