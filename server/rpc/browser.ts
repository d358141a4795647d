/**
 * @module `browser.*`: operator control of Chromium through the browser manager (profiles,
 * tabs, navigation, input, screenshots, snapshots, scripts). These are operator actions, so the
 * agent's SSRF policy does not apply; only http(s), about: and data: URLs are accepted.
 */

import { defineMethods } from "../method_table.ts";

export const browserMethods = defineMethods({
  "browser.status": {
    handler: ({ profile }, ctx) => ctx.services.browser.status(profile),
  },
  "browser.start": {
    handler: ({ profile }, ctx) => ctx.services.browser.start(profile),
  },
  "browser.stop": {
    handler: ({ profile }, ctx) => ctx.services.browser.stop(profile),
  },
  "browser.tabs": {
    handler: ({ profile }, ctx) => ctx.services.browser.tabs(profile),
  },
  "browser.open": {
    handler: ({ url, ...target }, ctx) => ctx.services.browser.open(url, target),
  },
  "browser.navigate": {
    handler: ({ url, ...target }, ctx) => ctx.services.browser.navigate(url, target),
  },
  "browser.click": {
    handler: ({ ref, ...target }, ctx) => ctx.services.browser.click(ref, target),
  },
  "browser.type": {
    handler: ({ ref, text, ...target }, ctx) => ctx.services.browser.type(ref, text, target),
  },
  "browser.screenshot": {
    handler: (target, ctx) => ctx.services.browser.screenshot(target),
  },
  "browser.snapshot": {
    handler: (target, ctx) => ctx.services.browser.snapshot(target),
  },
  "browser.evaluate": {
    handler: ({ fn, ...target }, ctx) => ctx.services.browser.evaluate(fn, target),
  },
  "browser.profiles": {
    handler: (_params, ctx) => ctx.services.browser.listProfiles(),
  },
  "browser.createProfile": {
    handler: ({ name }, ctx) => ctx.services.browser.createProfile(name),
  },
  "browser.deleteProfile": {
    handler: ({ name }, ctx) => ctx.services.browser.deleteProfile(name),
  },
  "browser.focus": {
    handler: ({ tabId, profile }, ctx) => ctx.services.browser.focusTab(tabId, profile),
  },
  "browser.close": {
    handler: ({ tabId, profile }, ctx) => ctx.services.browser.closeTab(tabId, profile),
  },
});
