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
 * Content types an error may name. Errors reach the model unwrapped, and a content type is the
 * server's text (`application/ignore.previous.instructions` is a valid media type), so only
 * these are named as they are; any other by its top-level type alone.
 */
const KNOWN_TYPES = new Set([
  "application/epub+zip",
  "application/gzip",
  "application/msword",
  "application/octet-stream",
  "application/pdf",
  "application/vnd.ms-excel",
  "application/vnd.ms-powerpoint",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  "application/wasm",
  "application/x-tar",
  "application/zip",
  "audio/mpeg",
  "audio/ogg",
  "audio/wav",
  "font/woff",
  "font/woff2",
  "image/avif",
  "image/gif",
  "image/jpeg",
  "image/png",
  "image/svg+xml",
  "image/webp",
  "image/x-icon",
  "video/mp4",
  "video/webm",
]);
const TOP_LEVEL_TYPES = new Set([
  "application",
  "audio",
  "font",
  "image",
  "message",
  "model",
  "multipart",
  "text",
  "video",
]);

/** `type` in words an error may use: a known type, else its top-level type, else neither. */
function describeType(type: string): string {
  if (KNOWN_TYPES.has(type)) return type;
  const top = type.split("/")[0];
  return TOP_LEVEL_TYPES.has(top) && type.includes("/")
    ? `another ${top}/ type`
    : "an invalid content type";
}

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
      // The URL asked for, not the one that answered: a redirect's target is the server's text.
      const named = describeType(type);
      throw new Error(
        `${url} answered with ${named}, not a web page or text; web_fetch reads text only`,
      );
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
