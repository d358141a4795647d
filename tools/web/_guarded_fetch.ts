/**
 * @module An HTTP GET for agent tools that checks every hop against the SSRF guard: the first
 * URL and each redirect target, with a time limit for the whole exchange and a cap on the bytes
 * read.
 */

import { concatBytes } from "../../core/bytes.ts";
import { errorMessage } from "../../core/errors.ts";
import { VERSION } from "../../core/version.ts";
import type { SsrfGuard } from "../browser/ssrf_guard.ts";

/** Options of {@linkcode guardedFetch}. */
export interface GuardedFetchOptions {
  guard: SsrfGuard;
  maxRedirects: number;
  timeoutMs: number;
  maxBytes: number;
  signal: AbortSignal;
}

/** A fetched response, read (up to the cap). */
export interface FetchedPage {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  statusText: string;
  contentType: string;
  bytes: Uint8Array;
  /** True when the body was longer than `maxBytes` and was cut. */
  truncated: boolean;
  /** Every URL that redirected, in order. */
  redirects: string[];
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Fetches `url`, following redirects itself so each target passes the guard first.
 *
 * @throws {Error} when a hop is refused, the time runs out, or the network fails
 */
export async function guardedFetch(
  url: string,
  options: GuardedFetchOptions,
): Promise<FetchedPage> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new Error(`Timed out after ${options.timeoutMs} ms: ${url}`)),
    options.timeoutMs,
  );
  const signal = AbortSignal.any([options.signal, timeout.signal]);
  const redirects: string[] = [];
  try {
    let current = url;
    for (;;) {
      // Errors reach the model unwrapped, so they name only the URL it asked for: a redirect's
      // target (its path, its host name) is the server's text.
      const verdict = await options.guard.check(current);
      if (!verdict.allowed) {
        throw new Error(
          redirects.length
            ? `A redirect while fetching ${url} was blocked: ${verdict.reason}`
            : `Blocked ${url}: ${verdict.reason}`,
        );
      }
      let response: Response;
      try {
        response = await fetch(current, {
          redirect: "manual",
          signal,
          headers: {
            "user-agent": `pyclaw/${VERSION} (web_fetch)`,
            accept: "text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5",
          },
        });
      } catch (error) {
        if (!redirects.length || signal.aborted) throw error;
        throw new Error(
          `Fetching a redirect target of ${url} failed: ${withoutUrls(errorMessage(error))}`,
        );
      }
      const location = response.headers.get("location");
      if (REDIRECTS.has(response.status) && location) {
        await response.body?.cancel();
        if (redirects.length >= options.maxRedirects) {
          throw new Error(`Too many redirects (more than ${options.maxRedirects}) from ${url}`);
        }
        redirects.push(current);
        // URL's own error repeats the header, which the server chose; errors reach the model unwrapped.
        const next = URL.parse(location, current);
        if (!next) {
          throw new Error(`A redirect while fetching ${url} has an invalid Location header`);
        }
        current = next.href;
        continue;
      }
      const { bytes, truncated } = await readCapped(response, options.maxBytes);
      return {
        url: current,
        status: response.status,
        statusText: response.statusText,
        contentType: response.headers.get("content-type") ?? "",
        bytes,
        truncated,
        redirects,
      };
    }
  } catch (error) {
    // The caller's abort stays an abort; the time limit becomes its own clear error.
    if (timeout.signal.aborted && !options.signal.aborted) throw timeout.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** A network error's text without the URLs in it (Deno's name the URL requested). */
function withoutUrls(text: string): string {
  return text.replace(/\b[a-z][\w+.-]*:\/\/[^\s)]*\)?/gi, "\u2026");
}

async function readCapped(
  response: Response,
  maxBytes: number,
): Promise<{ bytes: Uint8Array; truncated: boolean }> {
  if (!response.body) return { bytes: new Uint8Array(), truncated: false };
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.length > maxBytes) {
      chunks.push(value.subarray(0, maxBytes - size));
      size = maxBytes;
      truncated = true;
      await reader.cancel();
      break;
    }
    chunks.push(value);
    size += value.length;
  }
  return { bytes: concatBytes(chunks), truncated };
}

/**
 * Decodes a body: the charset of the Content-Type, else (for HTML) of a `<meta>` near the top,
 * else UTF-8. A byte-order mark wins, as browsers let it.
 */
export function decodeBody(bytes: Uint8Array, contentType: string, html: boolean): string {
  let label = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType)?.[1];
  if (!label && html) {
    const head = new TextDecoder("latin1").decode(bytes.subarray(0, 4096));
    label = /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1];
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label ?? "utf-8");
  } catch {
    decoder = new TextDecoder("utf-8"); // an unknown label: browsers fall back the same way
  }
  return decoder.decode(bytes);
}
