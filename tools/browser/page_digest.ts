/**
 * @module A page as a model reads it: title, address, visible text, and the elements it can act
 * on, each tagged with a short ref (`e3`) that the `browser` tool accepts in place of a selector.
 */

import type { Page } from "playwright-core";
import { ErrorCode, GatewayError } from "../../core/errors.ts";

/** One element a model may click or type into. */
export interface PageElement {
  ref: string;
  tag: string;
  type?: string;
  label: string;
  href?: string;
}

/** What {@linkcode readPage} returns. */
export interface PageDigest {
  url: string;
  title: string;
  text: string;
  /** Characters of visible text before the cut. */
  textChars: number;
  elements: PageElement[];
}

/** The attribute that carries a ref on the element it names. */
export const REF_ATTRIBUTE = "data-pyclaw-ref";

/** The CSS selector of a ref such as `e3`; any other string is taken as a selector already. */
export function selectorOf(ref: string): string {
  return /^e\d+$/.test(ref) ? `[${REF_ATTRIBUTE}="${ref}"]` : ref;
}

/** The little of the DOM that {@linkcode collect} uses (Deno's type library has no DOM). */
interface DomElement {
  tagName: string;
  innerText: string;
  value?: string;
  href?: string;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  getBoundingClientRect(): { width: number; height: number };
}
interface DomWindow {
  document: {
    body: DomElement | null;
    documentElement: DomElement;
    title: string;
    querySelectorAll(query: string): ArrayLike<DomElement>;
  };
  location: { href: string };
  getComputedStyle(element: DomElement): { visibility: string };
}

// Runs inside the page, so it may only use what the page has.
function collect({ maxText, maxElements, attribute }: {
  maxText: number;
  maxElements: number;
  attribute: string;
}) {
  const win = globalThis as unknown as DomWindow;
  const { document, location } = win;
  const text = (document.body?.innerText ?? "").replace(/[ \t]+\n/g, "\n").replace(
    /\n{3,}/g,
    "\n\n",
  ).trim();
  const root = document.documentElement;
  let counter = Number(root.getAttribute("data-pyclaw-refs") ?? "0");
  const elements = [];
  const query = "a[href], button, input:not([type=hidden]), textarea, select, summary, " +
    "[role=button], [role=link], [role=checkbox], [role=tab], [contenteditable=true]";
  for (const node of Array.from(document.querySelectorAll(query))) {
    if (elements.length >= maxElements) break;
    const element = node;
    const box = element.getBoundingClientRect();
    const style = win.getComputedStyle(element);
    if ((box.width === 0 && box.height === 0) || style.visibility === "hidden") continue;
    let ref = element.getAttribute(attribute);
    if (!ref) {
      ref = `e${++counter}`;
      element.setAttribute(attribute, ref);
    }
    const label = (element.getAttribute("aria-label") || element.innerText ||
      element.getAttribute("placeholder") || element.getAttribute("name") ||
      element.getAttribute("title") || (element.tagName === "INPUT" ? element.value : "") || "")
      .trim().replace(/\s+/g, " ").slice(0, 80);
    elements.push({
      ref,
      tag: element.tagName.toLowerCase(),
      type: element.getAttribute("type") ?? undefined,
      label,
      href: element.tagName === "A" ? element.href : undefined,
    });
  }
  root.setAttribute("data-pyclaw-refs", String(counter));
  let title = "";
  try {
    title = String(document.title);
  } catch {
    // A page may make its own title throw; the rest of it can still be read.
  }
  return {
    url: location.href,
    title,
    text: text.slice(0, maxText),
    textChars: text.length,
    elements,
  };
}

/**
 * Reads the page's visible text and actionable elements (tagging them with refs).
 *
 * @throws {GatewayError} when the page's own scripts break the reading; the error does not
 * repeat what they threw, which is the page's text
 */
export async function readPage(
  page: Page,
  options: { maxText?: number; maxElements?: number } = {},
): Promise<PageDigest> {
  const read = () =>
    page.evaluate(collect, {
      maxText: options.maxText ?? 8_000,
      maxElements: options.maxElements ?? 60,
      attribute: REF_ATTRIBUTE,
    });
  try {
    try {
      return await read();
    } catch (error) {
      // A document being replaced (a navigation committing) is no fault of the page's.
      if (!/Execution context was destroyed|Cannot find context/.test(`${error}`)) throw error;
      await page.waitForLoadState("domcontentloaded", { timeout: 5_000 }).catch(() => {});
      return await read();
    }
  } catch (error) {
    if (error instanceof Error && /has been closed|Target closed/i.test(error.message)) throw error;
    throw new GatewayError(
      ErrorCode.INTERNAL_ERROR,
      "Could not read the page: a script of the page failed while it was read",
      { reason: "read_failed" },
    );
  }
}

/** The digest as text for the model. */
export function formatDigest(digest: PageDigest): string {
  const lines = [`Title: ${digest.title || "(none)"}`, `URL: ${digest.url}`, ""];
  lines.push(digest.text || "(no visible text)");
  if (digest.textChars > digest.text.length) {
    lines.push(`[Text truncated: ${digest.text.length} of ${digest.textChars} characters]`);
  }
  if (digest.elements.length) {
    lines.push("", "Elements (use the ref as `ref` for click and type):");
    for (const element of digest.elements) {
      const kind = element.type ? `${element.tag}[${element.type}]` : element.tag;
      const link = element.href ? ` -> ${element.href}` : "";
      lines.push(`- ${element.ref} ${kind} ${JSON.stringify(element.label)}${link}`);
    }
  }
  return lines.join("\n");
}
