/**
 * @module `browser`: the agent's web browser. One tool with an `action`, covering what the
 * `browser.*` methods do; pages come back as readable text with refs to act on, screenshots as
 * images. Every navigation it causes follows the SSRF policy in `browser.ssrf`.
 */

import { z } from "zod";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import { wrapExternal } from "../external_content.ts";
import { capText } from "../text_cap.ts";
import { defineTool, type ToolContext, type ToolOutput } from "../tool.ts";
import type { TargetOptions } from "./manager.ts";
import type { BrowserControl } from "./lazy_manager.ts";
import { formatDigest, readPage, selectorOf } from "./page_digest.ts";

export const BROWSER_ACTIONS = [
  "status",
  "start",
  "stop",
  "tabs",
  "open",
  "navigate",
  "click",
  "type",
  "screenshot",
  "snapshot",
  "evaluate",
  "profiles",
  "createProfile",
  "deleteProfile",
  "focus",
  "close",
] as const;

type Action = typeof BROWSER_ACTIONS[number];

const parameters = z.strictObject({
  action: z.enum(BROWSER_ACTIONS).describe(
    "open: URL in a new tab; navigate: URL in the current tab; snapshot: read the page's text " +
      "and elements; click/type: act on an element; screenshot: look at the page; evaluate: " +
      "run JavaScript; tabs/focus/close: manage tabs; status/start/stop: the browser itself; " +
      "profiles/createProfile/deleteProfile: separate cookie jars",
  ),
  url: z.string().optional().describe("For open and navigate: an http(s) URL"),
  ref: z.string().optional().describe(
    "For click and type: an element ref from snapshot (e.g. e3) or a CSS selector",
  ),
  text: z.string().optional().describe("For type: the text to fill in"),
  submit: z.boolean().optional().describe("For type: press Enter afterwards"),
  fn: z.string().optional().describe(
    "For evaluate: a JavaScript expression or function source, e.g. () => document.title",
  ),
  fullPage: z.boolean().optional().describe("For screenshot: the whole page, not the viewport"),
  tabId: z.string().optional().describe("For focus and close (and to target another tab)"),
  profile: z.string().optional().describe("Browser profile; the default one when omitted"),
  name: z.string().optional().describe("For createProfile and deleteProfile"),
});

type Args = z.output<typeof parameters>;

function need<K extends keyof Args>(args: Args, key: K): NonNullable<Args[K]> {
  const value = args[key];
  if (value === undefined || value === "") {
    throw new GatewayError(ErrorCode.INVALID_PARAMS, `The ${args.action} action needs \`${key}\``);
  }
  return value as NonNullable<Args[K]>;
}

function managerOf(ctx: ToolContext): BrowserControl {
  const manager = ctx.services.browser;
  if (!manager) throw new Error("The browser is not available in this gateway");
  return manager;
}

/** The current page as text for the model, after an action that may have changed it. */
async function describePage(manager: BrowserControl, target: TargetOptions, lead: string) {
  const page = await manager.page(target);
  const digest = await readPage(page);
  return {
    content: `${lead}\n\n${fromPage(formatDigest(digest), digest.url)}`,
    data: { url: digest.url, title: digest.title },
  };
}

const json = (value: unknown) => capText(JSON.stringify(value, null, 2), 20_000).text;

/** Text a page chose (its words, title, script results) reaches the model marked as untrusted. */
const fromPage = (text: string, url?: string) => wrapExternal(text, { tool: "browser", from: url });

async function runAction(args: Args, ctx: ToolContext): Promise<ToolOutput> {
  const manager = managerOf(ctx);
  const target: TargetOptions = { profile: args.profile, tabId: args.tabId, agent: true };
  const action: Action = args.action;
  switch (action) {
    case "open": {
      const opened = await manager.open(need(args, "url"), target);
      return await describePage(
        manager,
        { ...target, tabId: opened.tabId },
        `Opened tab ${opened.tabId}`,
      );
    }
    case "navigate": {
      const done = await manager.navigate(need(args, "url"), target);
      return await describePage(
        manager,
        { ...target, tabId: done.tabId },
        `Navigated tab ${done.tabId}`,
      );
    }
    case "click": {
      const ref = need(args, "ref");
      await manager.click(selectorOf(ref), target);
      return await describePage(manager, target, `Clicked ${ref}`);
    }
    case "type": {
      const ref = need(args, "ref");
      await manager.type(selectorOf(ref), need(args, "text"), { ...target, submit: args.submit });
      return args.submit
        ? await describePage(manager, target, `Typed into ${ref} and pressed Enter`)
        : {
          content: `Typed ${args.text!.length} characters into ${ref}`,
          data: { typed: true, ref },
        };
    }
    case "snapshot":
      return await describePage(manager, target, "Page snapshot");
    case "screenshot": {
      const shot = await manager.screenshot({ ...target, fullPage: args.fullPage });
      const page = await manager.page(target);
      const { screenshotB64, ...meta } = shot;
      // The page's URL is the page's text too (`history.replaceState` sets any path).
      return {
        content: `Screenshot: ${shot.width}x${shot.height} PNG (${shot.sizeBytes} bytes)` +
          `${args.fullPage ? ", full page" : ""}\n\n${fromPage(`URL: ${page.url()}`)}`,
        images: [{ mimeType: shot.mimeType, base64: screenshotB64 }],
        data: meta,
      };
    }
    case "evaluate": {
      const { result } = await manager.evaluate(need(args, "fn"), target).catch(scriptFailed);
      const url = (await manager.page(target)).url();
      return { content: fromPage(json(result), url), data: { result } };
    }
    case "status": {
      // The current tab's URL is the page's text (`history.replaceState` sets any path).
      const status = await manager.status(args.profile);
      const { url, ...rest } = status as typeof status & { url?: string | null };
      return {
        content: json(rest) + (url ? `\n\nCurrent tab:\n${fromPage(`URL: ${url}`)}` : ""),
        data: status,
      };
    }
    case "start":
      return asJson(await manager.start(args.profile));
    case "stop":
      return asJson(await manager.stop(args.profile));
    case "tabs": {
      // Each tab's title is the page's own text.
      const tabs = await manager.tabs(args.profile);
      return { content: fromPage(json(tabs)), data: tabs };
    }
    case "profiles":
      return asJson(await manager.listProfiles());
    case "createProfile":
      return asJson(await manager.createProfile(need(args, "name")));
    case "deleteProfile":
      return asJson(await manager.deleteProfile(need(args, "name")));
    case "focus": {
      const tabId = need(args, "tabId");
      await manager.focusTab(tabId, args.profile);
      return await describePage(manager, { ...target, tabId }, `Focused tab ${tabId}`);
    }
    case "close":
      return asJson(await manager.closeTab(need(args, "tabId"), args.profile));
  }
}

/** A failed script's error, wrapped: what it says is the page's as much as the script's. */
function scriptFailed(error: unknown): never {
  const details = error instanceof GatewayError ? error.details : undefined;
  if (details?.reason !== "script_failed") throw error;
  throw new GatewayError(
    ErrorCode.INVALID_PARAMS,
    `Script failed; its error, as the page reported it:\n${fromPage(String(details.error))}`,
    { reason: "script_failed" },
  );
}

function asJson(value: unknown): ToolOutput {
  return { content: json(value), data: value };
}

export const browserTool = defineTool({
  name: "browser",
  group: "group:browser",
  description: "Use a real web browser (Chromium): open pages, read their text, click, type, " +
    "take screenshots and run JavaScript. Start with open, then snapshot to see the page's " +
    "text and element refs. Internal and private network addresses are blocked.",
  parameters,
  run: (args, ctx) => untilAborted(runAction(args, ctx), ctx.signal),
});

/** Answers as soon as the run is aborted; the browser action itself ends at its own time limit. */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  const abortError = () => new GatewayError(ErrorCode.ABORTED, "The browser action was aborted");
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(abortError());
  }
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError());
    signal.addEventListener("abort", onAbort, { once: true });
  });
  work.catch(() => {});
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}
