/**
 * @module The readable part of an HTML page, as markdown or plain text: Mozilla's Readability
 * (the Firefox reader view) over a linkedom DOM, then turndown for markdown. Loaded on first use.
 */

/** What was extracted. */
export interface ReadablePage {
  title: string;
  text: string;
}

/** The slice of linkedom's DOM used here (Deno's type library has no DOM). */
interface PageDocument {
  title?: string;
  body?: { innerHTML: string; textContent: string | null } | null;
  querySelectorAll(selector: string): Iterable<{ remove(): void }>;
  toString(): string;
}

/** Extracts the article of `html` (the whole body when Readability finds none). */
export async function readableContent(
  html: string,
  url: string,
  mode: "markdown" | "text",
): Promise<ReadablePage> {
  const [{ parseHTML }, { Readability }] = await Promise.all([
    import("linkedom"),
    import("@mozilla/readability"),
  ]);
  const parse = (text: string) =>
    (parseHTML(text) as unknown as { document: PageDocument }).document;
  const document = parse(html);
  const pageTitle = document.title?.trim() ?? "";
  // Readability takes the page apart as it reads it; the fallback needs a fresh copy.
  // deno-lint-ignore no-explicit-any
  const article = new Readability(document as any, { charThreshold: 200 }).parse();
  let content = article?.content ?? "";
  let title = article?.title?.trim() || pageTitle;
  if (!content.trim()) {
    const fresh = parse(html);
    for (const node of fresh.querySelectorAll("script, style, noscript, template")) node.remove();
    content = fresh.body?.innerHTML ?? fresh.toString();
    title ||= fresh.title?.trim() ?? "";
  }
  if (mode === "text") {
    const text = parse(`<html><body>${content}</body></html>`).body?.textContent ?? "";
    return { title, text: tidy(text) };
  }
  const { default: TurndownService } = await import("turndown");
  const turndown = new TurndownService({
    headingStyle: "atx",
    codeBlockStyle: "fenced",
    bulletListMarker: "-",
  });
  turndown.remove(["script", "style", "noscript"]);
  // Links keep working for the model once resolved against the page's address.
  turndown.addRule("absoluteLinks", {
    filter: (node) => node.nodeName === "A" && !!node.getAttribute("href"),
    replacement: (text, node) => {
      const href = (node as { getAttribute(name: string): string | null }).getAttribute("href")!;
      let absolute = href;
      try {
        absolute = new URL(href, url).href;
      } catch { /* keep it as written */ }
      return text.trim() ? `[${text.trim()}](${absolute})` : "";
    },
  });
  return { title, text: tidy(turndown.turndown(content)) };
}

/** Collapses runs of blank lines and trailing spaces. */
function tidy(text: string): string {
  return text.replace(/[ \t]+\n/g, "\n").replace(/\n{3,}/g, "\n\n").trim();
}
