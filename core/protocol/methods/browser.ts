/**
 * @module Contract of `browser.*`: operator control of Chromium (profiles, tabs, navigation,
 * input, screenshots, snapshots, scripts).
 */

import { z } from "zod";
import { methods } from "../contract.ts";
import { isoTime } from "./_shared.ts";

/** Lowercase only, so two names never share a folder on a case-insensitive file system. */
export const PROFILE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export const PROFILE_NAME_RULE =
  "use 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit";

const profileName = z.string().regex(
  PROFILE_NAME_PATTERN,
  `Invalid profile name: ${PROFILE_NAME_RULE}`,
);
const profile = profileName.optional();
const tabId = z.string().min(1).max(64);
const url = z.string().min(1).max(8_192);
const selector = z.string().min(1).max(4_096);
const timeoutMs = z.number().int().positive().max(600_000).optional();

export const browserContract = methods({
  "browser.status": {
    summary: "Whether a profile's browser runs, and its details when it does",
    params: z.object({ profile }),
    result: z.object({
      started: z.boolean(),
      profile: z.string(),
      tabCount: z.number(),
      enabled: z.boolean(),
      sessionId: z.string().optional(),
      currentTabId: z.string().nullable().optional(),
      url: z.string().nullable().optional(),
      headless: z.boolean().optional(),
      executablePath: z.string().optional(),
      browserVersion: z.string().nullable().optional(),
      startedAt: isoTime.optional(),
    }),
  },
  "browser.start": {
    summary: "Start a profile's browser",
    params: z.object({ profile }),
    result: z.object({ started: z.boolean(), sessionId: z.string() }),
  },
  "browser.stop": {
    summary: "Stop a profile's browser",
    params: z.object({ profile }),
    result: z.object({ started: z.boolean() }),
  },
  "browser.tabs": {
    summary: "A profile's open tabs",
    params: z.object({ profile }),
    result: z.object({
      tabs: z.array(z.object({
        tabId: z.string(),
        url: z.string(),
        title: z.string(),
        active: z.boolean(),
      })),
    }),
  },
  "browser.open": {
    summary: "Open a URL in a new tab",
    params: z.object({ url, profile, timeoutMs }),
    result: z.object({
      opened: z.boolean(),
      tabId: z.string(),
      url: z.string(),
      title: z.string(),
    }),
  },
  "browser.navigate": {
    summary: "Load a URL in a tab (the current one by default)",
    params: z.object({ url, profile, tabId: tabId.optional(), timeoutMs }),
    result: z.object({
      navigated: z.boolean(),
      url: z.string(),
      title: z.string(),
      tabId: z.string().optional(),
    }),
  },
  "browser.click": {
    summary: "Click the element a selector names",
    params: z.object({ ref: selector, profile, tabId: tabId.optional(), timeoutMs }),
    result: z.object({ clicked: z.boolean(), ref: z.string() }),
  },
  "browser.type": {
    summary: "Fill an input, optionally pressing Enter",
    params: z.object({
      ref: selector,
      text: z.string().max(1_000_000),
      /** Press Enter after filling (submits most forms). */
      submit: z.boolean().optional(),
      profile,
      tabId: tabId.optional(),
      timeoutMs,
    }),
    result: z.object({ typed: z.boolean(), ref: z.string() }),
  },
  "browser.screenshot": {
    summary: "A PNG of a tab (base64)",
    params: z.object({ profile, fullPage: z.boolean().optional(), tabId: tabId.optional() }),
    result: z.object({
      screenshotB64: z.string(),
      mimeType: z.string(),
      sizeBytes: z.number(),
      width: z.number(),
      height: z.number(),
    }),
  },
  "browser.snapshot": {
    summary: "A tab's HTML length, a preview of it, URL and title",
    params: z.object({ profile, tabId: tabId.optional() }),
    result: z.object({
      htmlLength: z.number(),
      htmlPreview: z.string(),
      url: z.string(),
      title: z.string(),
    }),
  },
  "browser.evaluate": {
    summary: "Run a JavaScript function in a tab and return its JSON result",
    params: z.object({ fn: z.string().min(1).max(1_000_000), profile, tabId: tabId.optional() }),
    result: z.object({ result: z.unknown() }),
  },
  "browser.profiles": {
    summary: "The browser profiles on disk",
    params: z.object({}),
    result: z.object({
      profiles: z.array(z.object({
        name: z.string(),
        running: z.boolean(),
        tabCount: z.number(),
        isDefault: z.boolean(),
        path: z.string(),
      })),
    }),
  },
  "browser.createProfile": {
    summary: "Create a browser profile",
    params: z.object({ name: profileName }),
    result: z.object({ created: z.boolean(), profile: z.string(), path: z.string() }),
  },
  "browser.deleteProfile": {
    summary: "Delete a browser profile (not the default one)",
    params: z.object({ name: profileName }),
    result: z.object({ deleted: z.boolean() }),
  },
  "browser.focus": {
    summary: "Make a tab the current one",
    params: z.object({ tabId, profile }),
    result: z.object({ focused: z.boolean(), tabId: z.string() }),
  },
  "browser.close": {
    summary: "Close a tab",
    params: z.object({ tabId, profile }),
    result: z.object({ closed: z.boolean(), tabId: z.string() }),
  },
});
