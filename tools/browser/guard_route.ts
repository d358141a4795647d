/**
 * @module Enforces the SSRF policy inside Chromium for agent-driven pages. Three hooks, because
 * each sees what the others miss:
 * - Playwright request routing checks every request's URL before it is sent;
 * - a CDP `Fetch` session at the response stage checks each redirect's `Location` before
 *   Chromium follows it (routing never sees redirect hops);
 * - WebSocket routing checks sockets before they connect.
 * Responses are never fulfilled from our side: a document served that way could not open
 * WebSockets afterwards (measured with Chromium 156), so the page stays Chromium's own.
 */

import type { BrowserContext, CDPSession, Page, Request, Route } from "playwright-core";
import type { SsrfGuard } from "./ssrf_guard.ts";

/** What the hooks need from the session. */
export interface GuardHooks {
  guard: SsrfGuard;
  /** True for pages the agent drives. */
  isGuarded(page: Page): Promise<boolean>;
  /** Records why a page's navigation was refused, for the error the agent sees. */
  onBlocked(page: Page, reason: string): void;
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
    // A popup's first navigation comes before its page exists, so whose it is cannot be told:
    // once the agent has used this browser, such navigations are held to the policy too.
    const unknownPopup = !page && request.isNavigationRequest();
    if (!unknownPopup && (!page || !(await hooks.isGuarded(page)))) return await route.fallback();
    const verdict = await hooks.guard.check(request.url());
    if (verdict.allowed) return await route.fallback();
    // A blocked image or script is no failure of the action; a blocked navigation is.
    // `aborted` rather than `blockedbyclient`: Chromium then keeps the page it had instead of
    // committing an error page that would race the next navigation.
    // The reason names no URL: a link or a script's target is the page's text.
    if (page && request.isNavigationRequest()) {
      hooks.onBlocked(page, `A navigation the page started was blocked: ${verdict.reason}`);
    }
    await route.abort("aborted").catch(() => {});
  });
}

/** The redirect target of a paused response, if it is a redirect. */
function redirectTarget(
  status: number | undefined,
  headers: { name: string; value: string }[] | undefined,
  from: string,
): string | undefined {
  if (!status || status < 300 || status >= 400) return undefined;
  const location = headers?.find((header) => header.name.toLowerCase() === "location")?.value;
  if (!location) return undefined;
  try {
    return new URL(location, from).href;
  } catch {
    return undefined;
  }
}

/**
 * Pauses every response of `page` (documents, subresources, `fetch()`) and refuses redirects
 * to URLs the policy blocks, before Chromium requests them. Returns the CDP session; detaching
 * it ends the checks.
 */
export async function guardRedirects(page: Page, hooks: GuardHooks): Promise<CDPSession> {
  const session = await page.context().newCDPSession(page);
  session.on("Fetch.requestPaused", async (event) => {
    const { requestId, request } = event;
    try {
      const next = redirectTarget(event.responseStatusCode, event.responseHeaders, request.url);
      if (next && await hooks.isGuarded(page)) {
        const verdict = await hooks.guard.check(next);
        if (!verdict.allowed) {
          if (event.resourceType === "Document") {
            hooks.onBlocked(page, `A redirect was blocked: ${verdict.reason}`);
          }
          await session.send("Fetch.failRequest", { requestId, errorReason: "Aborted" });
          return;
        }
      }
      await session.send("Fetch.continueRequest", { requestId });
    } catch {
      // The request, the page or the session went away meanwhile.
    }
  });
  await session.send("Fetch.enable", {
    patterns: [{ urlPattern: "*", requestStage: "Response" }],
  });
  return session;
}

/** Checks a guarded page's WebSockets (which request routing does not see) before they connect. */
export async function guardWebSockets(page: Page, hooks: GuardHooks): Promise<void> {
  await page.routeWebSocket(/.*/, async (socket) => {
    const url = socket.url();
    const asHttp = url.replace(/^ws(s?):/i, "http$1:");
    const verdict = (await hooks.isGuarded(page))
      ? await hooks.guard.check(asHttp)
      : { allowed: true as const };
    if (verdict.allowed) {
      socket.connectToServer();
    } else {
      await socket.close({ code: 1008, reason: "Blocked by the SSRF policy" });
    }
  });
}
