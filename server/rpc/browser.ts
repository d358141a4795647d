/**
 * @module `browser.*`: operator control of Chromium through the browser manager (profiles,
 * tabs, navigation, input, screenshots, snapshots, scripts). These are operator actions, so the
 * agent's SSRF policy does not apply; only http(s), about: and data: URLs are accepted.
 */

import { z } from "zod";
import { PROFILE_NAME_PATTERN, PROFILE_NAME_RULE } from "../../tools/browser/profiles.ts";
import { defineMethods } from "../method_table.ts";

const profileName = z.string().regex(
  PROFILE_NAME_PATTERN,
  `Invalid profile name: ${PROFILE_NAME_RULE}`,
);
const profile = profileName.optional();
const tabId = z.string().min(1).max(64);
const url = z.string().min(1).max(8_192);
const selector = z.string().min(1).max(4_096);
const timeoutMs = z.number().int().positive().max(600_000).optional();

export const browserMethods = defineMethods({
  "browser.status": {
    params: z.object({ profile }),
    handler: ({ profile }, ctx) => ctx.services.browser.status(profile),
  },
  "browser.start": {
    params: z.object({ profile }),
    handler: ({ profile }, ctx) => ctx.services.browser.start(profile),
  },
  "browser.stop": {
    params: z.object({ profile }),
    handler: ({ profile }, ctx) => ctx.services.browser.stop(profile),
  },
  "browser.tabs": {
    params: z.object({ profile }),
    handler: ({ profile }, ctx) => ctx.services.browser.tabs(profile),
  },
  "browser.open": {
    params: z.object({ url, profile, timeoutMs }),
    handler: ({ url, ...target }, ctx) => ctx.services.browser.open(url, target),
  },
  "browser.navigate": {
    params: z.object({ url, profile, tabId: tabId.optional(), timeoutMs }),
    handler: ({ url, ...target }, ctx) => ctx.services.browser.navigate(url, target),
  },
  "browser.click": {
    params: z.object({ ref: selector, profile, tabId: tabId.optional(), timeoutMs }),
    handler: ({ ref, ...target }, ctx) => ctx.services.browser.click(ref, target),
  },
  "browser.type": {
    params: z.object({
      ref: selector,
      text: z.string().max(1_000_000),
      /** Press Enter after filling (submits most forms). */
      submit: z.boolean().optional(),
      profile,
      tabId: tabId.optional(),
      timeoutMs,
    }),
    handler: ({ ref, text, ...target }, ctx) => ctx.services.browser.type(ref, text, target),
  },
  "browser.screenshot": {
    params: z.object({ profile, fullPage: z.boolean().optional(), tabId: tabId.optional() }),
    handler: (target, ctx) => ctx.services.browser.screenshot(target),
  },
  "browser.snapshot": {
    params: z.object({ profile, tabId: tabId.optional() }),
    handler: (target, ctx) => ctx.services.browser.snapshot(target),
  },
  "browser.evaluate": {
    params: z.object({ fn: z.string().min(1).max(1_000_000), profile, tabId: tabId.optional() }),
    handler: ({ fn, ...target }, ctx) => ctx.services.browser.evaluate(fn, target),
  },
  "browser.profiles": {
    params: z.object({}),
    handler: (_params, ctx) => ctx.services.browser.listProfiles(),
  },
  "browser.createProfile": {
    params: z.object({ name: profileName }),
    handler: ({ name }, ctx) => ctx.services.browser.createProfile(name),
  },
  "browser.deleteProfile": {
    params: z.object({ name: profileName }),
    handler: ({ name }, ctx) => ctx.services.browser.deleteProfile(name),
  },
  "browser.focus": {
    params: z.object({ tabId, profile }),
    handler: ({ tabId, profile }, ctx) => ctx.services.browser.focusTab(tabId, profile),
  },
  "browser.close": {
    params: z.object({ tabId, profile }),
    handler: ({ tabId, profile }, ctx) => ctx.services.browser.closeTab(tabId, profile),
  },
});
