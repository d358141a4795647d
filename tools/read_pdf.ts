/** @module `read_pdf`: the text of a PDF, page by page, through pdfjs-dist (loaded on first use). */

import { z } from "zod";
import { parsePageRange } from "./page_range.ts";
import { readToolFile } from "./tool_paths.ts";
import { capText, DEFAULT_MAX_CHARS } from "./text_cap.ts";
import { defineTool } from "./tool.ts";
import { wrapExternal } from "./external_content.ts";

const parameters = z.strictObject({
  path: z.string().min(1).describe("PDF file, relative to the workspace"),
  pages: z.string().optional().describe('Pages to read, such as "1-3,7" or "5-"; default all'),
  maxChars: z.number().int().min(100).max(2_000_000).default(DEFAULT_MAX_CHARS)
    .describe("Most characters to return"),
  password: z.string().optional().describe("Password of an encrypted PDF"),
});

export const readPdf = defineTool({
  name: "read_pdf",
  group: "group:documents",
  description: "Extract the text of a PDF file, optionally only some pages. Pages are marked " +
    '"--- Page N ---".',
  parameters,
  async run({ path, pages, maxChars, password }, ctx) {
    const { bytes } = await readToolFile(ctx, path);
    // Imported here, not at the top: pdfjs-dist is large and most gateways never read a PDF.
    const pdfjs = await import("pdfjs-dist/legacy/build/pdf.mjs");
    const task = pdfjs.getDocument({
      data: bytes,
      password,
      isEvalSupported: false,
      useSystemFonts: false,
      verbosity: 0,
    });
    const onAbort = () => void task.destroy();
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    try {
      let doc;
      try {
        doc = await task.promise;
      } catch (error) {
        throw pdfError(error, path, password !== undefined);
      }
      const wanted = parsePageRange(pages, doc.numPages);
      const parts: string[] = [];
      for (const number of wanted) {
        ctx.signal.throwIfAborted();
        const page = await doc.getPage(number);
        const content = await page.getTextContent();
        let text = "";
        for (const item of content.items) {
          if (!("str" in item)) continue;
          text += item.str + (item.hasEOL ? "\n" : "");
        }
        page.cleanup();
        parts.push(`--- Page ${number} ---\n${text.trim()}`);
      }
      const capped = capText(parts.join("\n\n"), maxChars);
      return {
        content: wrapExternal(capped.text, { tool: "read_pdf", from: path }),
        data: {
          path,
          pageCount: doc.numPages,
          pages: wanted,
          chars: capped.totalChars,
          truncated: capped.truncated,
        },
      };
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
      await task.destroy();
    }
  },
});

function pdfError(error: unknown, path: string, gavePassword: boolean): Error {
  const name = (error as { name?: string })?.name;
  if (name === "PasswordException") {
    return new Error(
      gavePassword
        ? `Wrong password for the encrypted PDF: ${path}`
        : `The PDF is encrypted and needs a password: ${path} (pass "password")`,
    );
  }
  if (name === "InvalidPDFException" || name === "FormatError") {
    return new Error(`Not a readable PDF (corrupt or not a PDF): ${path}`);
  }
  return new Error(`Could not open the PDF ${path}: ${(error as Error)?.message ?? error}`);
}
