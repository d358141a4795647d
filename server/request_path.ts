/**
 * @module The path of a request's URL without parsing the whole URL: `new URL(request.url)` cost
 * every request a call into Deno's URL parser and an object, for a path that is nearly always
 * plain already (issue 17, `/v1` added time). A path of another form goes through the parser.
 */

/** A path the URL parser returns unchanged: no dot segments, escapes, backslashes or odd bytes. */
const PLAIN_PATH = /^(?:\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*|\/)+$/;

/**
 * The `pathname` of a request URL as `new URL(url).pathname` gives it.
 *
 * @param url a request's URL as Deno gives it: `scheme://host[:port]/path[?query]`
 */
export function requestPath(url: string): string {
  const scheme = url.indexOf("://");
  const start = scheme < 0 ? -1 : url.indexOf("/", scheme + 3);
  if (start >= 0) {
    let end = url.indexOf("?", start);
    const hash = url.indexOf("#", start);
    if (hash >= 0 && (end < 0 || hash < end)) end = hash;
    const path = end < 0 ? url.slice(start) : url.slice(start, end);
    if (PLAIN_PATH.test(path)) return path;
  }
  return new URL(url).pathname;
}
