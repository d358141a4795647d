/**
 * @module Redirects of requests sent over kept connections (_http1.ts), followed as fetch
 * follows them (the Fetch standard's "HTTP-redirect fetch"): 307 and 308 resend the method and
 * body, 301 and 302 turn a POST into a GET and 303 anything into a GET, each without the body
 * or its headers; credentials (and, unlike fetch, API-key headers) are not sent to another
 * origin; at most 20 in all.
 * A plain-http target is asked over a kept connection and an https one with fetch, a hop at a
 * time: fetch left to follow on its own would count 20 more of its own after the kept ones.
 */

import { type Http1Request, http1Request } from "./_http1.ts";
import { UnreadableAnswerError, type UpstreamResponse } from "./types.ts";

/** The most redirects fetch follows before it fails the request. */
const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** The Fetch standard's "request-body-header names", dropped with the body. */
const BODY_HEADERS = new Set([
  "content-type",
  "content-encoding",
  "content-language",
  "content-location",
]);

/**
 * Headers that carry credentials, not sent to another origin: fetch's three (authorization,
 * cookie, proxy-authorization) and, stricter than fetch, the API-key headers providers use
 * (Anthropic's x-api-key, Azure's api-key), so a redirect cannot hand a provider key elsewhere.
 */
const CREDENTIAL_HEADERS = new Set([
  "authorization",
  "cookie",
  "proxy-authorization",
  "x-api-key",
  "api-key",
]);

/**
 * Sends a request redirected to https (fetch's part), following no redirect itself (fetch's
 * `redirect: "manual"`): its answer, redirect or not, comes back here to be counted.
 */
type ViaFetch = (request: Http1Request) => Promise<UpstreamResponse>;

/** The request a redirect answer asks for, or undefined when the answer is not a redirect. */
function redirected(
  request: Http1Request,
  status: number,
  location: string | null,
): Http1Request | undefined {
  if (!REDIRECTS.has(status) || location === null) return undefined;
  const url = new URL(location, request.url); // a bad location: TypeError, as from fetch
  let { method, body, headers } = request;
  if ((status === 303 || status === 301 || status === 302) && method === "POST") {
    method = "GET";
    body = undefined;
    headers = headers.filter(([name]) => !BODY_HEADERS.has(name.toLowerCase()));
  } else if (status === 303) {
    body = undefined;
  }
  if (url.origin !== request.url.origin) {
    headers = headers.filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase()));
  }
  return { ...request, url, method, body, headers };
}

/**
 * {@linkcode http1Request}, following redirects.
 *
 * @throws {UnreadableAnswerError} past 20 redirects; whatever the request threw
 */
export async function http1Fetch(
  request: Http1Request,
  viaFetch: ViaFetch,
): Promise<UpstreamResponse> {
  for (let count = 0;; count++) {
    const response = request.url.protocol === "http:"
      ? await http1Request(request)
      : await viaFetch(request);
    const next = redirected(request, response.status, response.headers.get("location"));
    if (!next) return response;
    // The redirect's own body is not wanted; a short one leaves its connection for reuse.
    await response.release();
    if (count === MAX_REDIRECTS) {
      throw new UnreadableAnswerError(
        `More than ${MAX_REDIRECTS} redirects from ${request.url.origin}`,
      );
    }
    if (next.url.protocol !== "http:" && next.url.protocol !== "https:") {
      // fetch refuses these too (a data: or file: URL is no place for a provider to send to).
      throw new UnreadableAnswerError(`A redirect to a ${next.url.protocol} URL`);
    }
    request = next;
  }
}
