/**
 * @module `web_fetch`: the readable content of a web page as markdown (or text), through the
 * same SSRF guard as the browser (`tools.web.ssrf`), every redirect checked, within the time and
 * size caps of `tools.web.fetch`. The model reads it wrapped as external, untrusted content.
 */

import { z } from "zod";
import { SsrfGuard } from "../browser/ssrf_guard.ts";
import { wrapExternal } from "../external_content.ts";
import { capText } from "../text_cap.ts";
import { defineTool } from "../tool.ts";
import { decodeBody, guardedFetch } from "./_guarded_fetch.ts";
import { readableContent } from "./_readable.ts";

const parameters = z.strictObject({
  url: z.string().url().max(8_192),
  maxChars: z.number().int().min(100).max(1_000_000).optional(),
  extractMode: z.enum(["markdown", "text"]).default("markdown"),
});

/**
 * A media type as RFC 6838 names them: the only server-chosen text an error may repeat, since
 * errors reach the model unwrapped.
 */
const MEDIA_TYPE = /^[a-z0-9][\w!#$&^.+-]{0,63}\/[a-z0-9][\w!#$&^.+-]{0,63}$/;

/** Content types read as text as they are. */
const PLAIN = /^(text\/|application\/(json|xml|[\w.+-]+\+(json|xml)|javascript|x-ndjson))/i;

export const webFetch = defineTool({
  name: "web_fetch",
  group: "group:web",
  description: "Fetch a web page and return its readable content as markdown.",
  parameters,
  async run({ url, maxChars, extractMode }, ctx) {
    const settings = ctx.config().tools.web;
    const guard = new SsrfGuard(() => settings.ssrf, undefined, "tools.web.ssrf");
    const page = await guardedFetch(url, {
      guard,
      maxRedirects: settings.fetch.maxRedirects,
      timeoutMs: settings.fetch.timeoutMs,
      maxBytes: settings.fetch.maxBytes,
      signal: ctx.signal,
    });
    const type = page.contentType.split(";")[0].trim().toLowerCase();
    const html = type === "text/html" || type === "application/xhtml+xml" ||
      (type === "" &&
        /^\s*<(!doctype html|html)/i.test(new TextDecoder().decode(page.bytes.subarray(0, 256))));
    if (!html && type !== "" && !PLAIN.test(type)) {
      const named = MEDIA_TYPE.test(type) ? type : "of an invalid content type";
      throw new Error(`${page.url} is ${named}, not a web page or text; web_fetch reads text only`);
    }
    const decoded = decodeBody(page.bytes, page.contentType, html);
    const { title, text } = html
      ? await readableContent(decoded, page.url, extractMode)
      : { title: "", text: decoded };
    const body = title && extractMode === "markdown" ? `# ${title}\n\n${text}` : text;
    const capped = capText(body, maxChars ?? settings.fetch.maxChars);
    const notes = [
      page.status >= 400 ? `[HTTP ${page.status} ${page.statusText}]` : "",
      page.truncated ? `[Cut: only the first ${page.bytes.length} bytes were read]` : "",
    ].filter(Boolean).join("\n");
    return {
      content: wrapExternal(notes ? `${notes}\n${capped.text}` : capped.text, {
        tool: "web_fetch",
        from: page.url,
      }),
      data: {
        url,
        finalUrl: page.url,
        status: page.status,
        contentType: page.contentType,
        title,
        extractMode,
        redirects: page.redirects,
        truncated: capped.truncated || page.truncated,
        chars: capped.totalChars,
      },
      isError: page.status >= 400,
    };
  },
});
