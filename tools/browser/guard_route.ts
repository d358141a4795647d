/**
 * @module Enforces the SSRF policy inside Chromium for agent-driven pages, through Playwright
 * request routing: every request of a guarded page is checked before it is sent, and a
 * navigation's redirects are followed here, hop by hop, so a public page cannot bounce the
 * browser to an internal address.
 */

import type { BrowserContext, Page, Request, Route } from "playwright-core";
import type { SsrfGuard } from "./ssrf_guard.ts";

const MAX_REDIRECTS = 10;

/** What the route needs from the session. */
export interface GuardHooks {
  guard: SsrfGuard;
  /** True for pages the agent drives. */
  isGuarded(page: Page): Promise<boolean>;
  /** Records why a page's request was refused, for the error the agent sees. */
  onBlocked(page: Page, reason: string): void;
  /** Time limit of one fetched hop. */
  timeoutMs(): number;
}

function pageOf(request: Request): Page | undefined {
  try {
    return request.frame().page();
  } catch {
    return undefined; // service-worker requests have no frame (and workers are blocked anyway)
  }
}

/** Routes every request of the context through the guard; unguarded pages pass untouched. */
export async function installGuardRoute(context: BrowserContext, hooks: GuardHooks) {
  await context.route("**/*", async (route: Route, request: Request) => {
    const page = pageOf(request);
    if (!page || !(await hooks.isGuarded(page))) return await route.fallback();
    try {
      const verdict = await hooks.guard.check(request.url());
      if (!verdict.allowed) {
        // A blocked image or script is no failure of the action; a blocked navigation is.
        // `aborted` rather than `blockedbyclient`: Chromium then keeps the page it had instead of
        // committing an error page that would race the next navigation.
        if (request.isNavigationRequest()) hooks.onBlocked(page, verdict.reason);
        return await route.abort("aborted");
      }
      if (!request.isNavigationRequest()) return await route.fallback();
      await followRedirects(route, request, page, hooks);
    } catch (error) {
      // The page may have closed under us; the request is then moot.
      await route.abort("failed").catch(() => {});
      if (!page.isClosed()) hooks.onBlocked(page, `Request failed: ${(error as Error).message}`);
    }
  });
}

/**
 * Chromium would follow a redirect without asking the route again, so the hops are fetched
 * here with redirects off and each `Location` is checked before it is requested.
 */
async function followRedirects(route: Route, request: Request, page: Page, hooks: GuardHooks) {
  let url = request.url();
  let method = request.method();
  let postData = request.postDataBuffer() ?? undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const response = await route.fetch({
      url,
      method,
      postData,
      maxRedirects: 0,
      timeout: hooks.timeoutMs(),
    });
    const location = response.headers()["location"];
    const status = response.status();
    if (status < 300 || status >= 400 || !location) {
      // One hop: hand Chromium the response itself. After redirects, send Chromium to the
      // final, checked URL so the page gets its real address (relative links, origin).
      if (hop === 0) return await route.fulfill({ response });
      return await route.fulfill({ status: 302, headers: { location: url } });
    }
    const next = new URL(location, url).href;
    const verdict = await hooks.guard.check(next);
    if (!verdict.allowed) {
      hooks.onBlocked(page, `Redirect from ${url} blocked: ${verdict.reason}`);
      return await route.abort("aborted");
    }
    if (status === 303 || ((status === 301 || status === 302) && method === "POST")) {
      method = "GET";
      postData = undefined;
    }
    url = next;
  }
  hooks.onBlocked(page, `Too many redirects (more than ${MAX_REDIRECTS}) from ${request.url()}`);
  await route.abort("failed");
}
