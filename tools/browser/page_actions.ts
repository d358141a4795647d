/**
 * @module What pyclaw does to one page (navigate, click, type, screenshot, snapshot, evaluate),
 * with Playwright's errors turned into clear `GatewayError`s. A timeout never leaves the page
 * unusable: Playwright abandons the wait, and the next action works on the same page.
 */

import type { Page } from "playwright-core";
import { ErrorCode, GatewayError } from "../../core/errors.ts";

/** The first line of a Playwright error, without the `page.goto: ` call prefix. */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0].replace(/^[a-zA-Z]+\.[a-zA-Z]+: /, "").trim();
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && error.name === "TimeoutError";
}

function isClosed(error: unknown): boolean {
  return /Target page, context or browser has been closed|Target closed|has been closed/i
    .test(firstLine(error));
}

function closedError(): GatewayError {
  return new GatewayError(ErrorCode.NOT_FOUND, "The tab or browser was closed during the action", {
    reason: "closed",
  });
}

/** Maps a failed navigation (one the SSRF guard refused is reported by the caller instead). */
export function navigationError(url: string, error: unknown, timeoutMs: number): GatewayError {
  if (isTimeout(error)) {
    return new GatewayError(
      ErrorCode.INTERNAL_ERROR,
      `Navigation to ${url} timed out after ${timeoutMs} ms`,
      { reason: "timeout" },
    );
  }
  if (isClosed(error)) return closedError();
  // Without the URLs Playwright quotes (`... interrupted by another navigation to "..."`): one a
  // page's script chose reads as the page's words in an error the model reads unwrapped.
  const line = firstLine(error).replace(/ at \S+$/, "").replace(/"[^"]*"/g, "\u2026");
  return new GatewayError(ErrorCode.INTERNAL_ERROR, `Navigation to ${url} failed: ${line}`, {
    reason: "navigation_failed",
  });
}

/** Maps a failed click or fill on `selector`. */
export function selectorError(selector: string, error: unknown, timeoutMs: number): GatewayError {
  const message = error instanceof Error ? error.message : String(error);
  if (isTimeout(error)) {
    const found = /locator resolved to|element is not|waiting for element to be/i.test(message);
    return found
      ? new GatewayError(
        ErrorCode.INTERNAL_ERROR,
        `Element ${JSON.stringify(selector)} was found but could not be used within ` +
          `${timeoutMs} ms (hidden, disabled or covered)`,
        { reason: "timeout" },
      )
      : new GatewayError(
        ErrorCode.NOT_FOUND,
        `No element matches selector ${JSON.stringify(selector)} within ${timeoutMs} ms`,
        { reason: "timeout" },
      );
  }
  if (isClosed(error)) return closedError();
  if (/selector|Unexpected token|Unknown engine|parsing/i.test(firstLine(error))) {
    return new GatewayError(
      ErrorCode.INVALID_PARAMS,
      `Invalid selector ${JSON.stringify(selector)}: ${firstLine(error)}`,
    );
  }
  return new GatewayError(
    ErrorCode.INVALID_PARAMS,
    `Cannot use element ${JSON.stringify(selector)}: ${firstLine(error)}`,
  );
}

/** Loads `url` in `page` and waits for its load event. */
export async function gotoUrl(page: Page, url: string, timeoutMs: number) {
  for (let attempt = 1;; attempt++) {
    try {
      await page.goto(url, { timeout: timeoutMs, waitUntil: "load" });
      return { url: page.url(), title: await safeTitle(page) };
    } catch (error) {
      // The error page of a previous failed navigation may commit just after ours began.
      if (attempt === 1 && /interrupted by another navigation to "chrome-error:/.test(`${error}`)) {
        continue;
      }
      throw navigationError(url, error, timeoutMs);
    }
  }
}

/** The title, or "" while a navigation replaces the document. */
export async function safeTitle(page: Page): Promise<string> {
  try {
    return await page.title();
  } catch {
    return "";
  }
}

/** Clicks the element `selector` names, then lets a navigation it started reach DOMContentLoaded. */
export async function clickElement(page: Page, selector: string, timeoutMs: number) {
  try {
    await page.click(selector, { timeout: timeoutMs });
  } catch (error) {
    throw selectorError(selector, error, timeoutMs);
  }
  await page.waitForLoadState("domcontentloaded", { timeout: timeoutMs }).catch(() => {});
}

/** Replaces the value of the input `selector` names with `text`; Enter afterwards if `submit`. */
export async function fillElement(
  page: Page,
  selector: string,
  text: string,
  options: { timeoutMs: number; submit?: boolean },
) {
  try {
    await page.fill(selector, text, { timeout: options.timeoutMs });
    if (options.submit) await page.press(selector, "Enter", { timeout: options.timeoutMs });
  } catch (error) {
    throw selectorError(selector, error, options.timeoutMs);
  }
  if (options.submit) {
    await page.waitForLoadState("domcontentloaded", { timeout: options.timeoutMs }).catch(
      () => {},
    );
  }
}

/** A PNG screenshot and its pixel size (read from the PNG header). */
export async function takeScreenshot(
  page: Page,
  options: { fullPage?: boolean; timeoutMs: number },
) {
  let bytes: Uint8Array;
  try {
    // Copied into a plain Uint8Array: Playwright's Buffer type is @types/node's, not Deno's.
    bytes = new Uint8Array(
      await page.screenshot({
        type: "png",
        fullPage: options.fullPage ?? false,
        timeout: options.timeoutMs,
      }),
    );
  } catch (error) {
    if (isClosed(error)) throw closedError();
    throw new GatewayError(ErrorCode.INTERNAL_ERROR, `Screenshot failed: ${firstLine(error)}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    screenshotB64: bytes.toBase64(),
    mimeType: "image/png",
    sizeBytes: bytes.byteLength,
    width: view.getUint32(16),
    height: view.getUint32(20),
  };
}

/** The page's HTML length and its beginning. */
export async function htmlSnapshot(page: Page, previewChars = 2_000) {
  let html: string;
  try {
    html = await page.content();
  } catch (error) {
    if (isClosed(error)) throw closedError();
    throw new GatewayError(ErrorCode.INTERNAL_ERROR, `Snapshot failed: ${firstLine(error)}`);
  }
  return {
    htmlLength: html.length,
    htmlPreview: html.slice(0, previewChars),
    url: page.url(),
    title: await safeTitle(page),
  };
}

// A function's source (`() => ...`, `async x => ...`, `function () {...}`) is called, not just
// evaluated to a function value that cannot cross back to us.
const FUNCTION_SOURCE = /^\s*(async\s+)?(function\b|\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>)/;

/**
 * Runs `source` in the page: an expression, statements, or a function's source (called with no
 * arguments). Promises are awaited; the result comes back as JSON-safe data (null when not).
 */
export async function evaluateSource(page: Page, source: string): Promise<{ result: unknown }> {
  const expression = FUNCTION_SOURCE.test(source) ? `(${source})()` : source;
  for (let attempt = 1;; attempt++) {
    try {
      const result = await page.evaluate(expression);
      return { result: result === undefined ? null : result };
    } catch (error) {
      if (isClosed(error)) throw closedError();
      // A document that was being replaced (a navigation or its error page committing) is no
      // fault of the script: run it once more in the new document.
      if (attempt === 1 && /Execution context was destroyed|Cannot find context/.test(`${error}`)) {
        await page.waitForLoadState("domcontentloaded", { timeout: 5_000 }).catch(() => {});
        continue;
      }
      // The error is the page's text as much as the script's (a getter may throw anything), so
      // the agent tool wraps `details.error` as external content rather than this message.
      const line = firstLine(error);
      throw new GatewayError(ErrorCode.INVALID_PARAMS, `Script failed: ${line}`, {
        reason: "script_failed",
        error: line,
      });
    }
  }
}
