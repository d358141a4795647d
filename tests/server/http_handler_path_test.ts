/** @module http_handler.ts requestPath: the path of a request URL, as the URL parser gives it, for any URL. */

import { assertEquals } from "../_helpers/assert.ts";
import { requestPath } from "../../server/http_handler.ts";

Deno.test("requestPath gives the URL parser's pathname for plain and odd paths alike", () => {
  const urls = [
    "http://127.0.0.1:18789/v1/chat/completions",
    "http://[::1]:8/v1/models?limit=2",
    "https://gateway.example:443/ui/app.js?v=1#top",
    "http://h/",
    "http://h",
    "http://h/a#b?c",
    "http://h//x",
    "http://h/a//b/",
    // Dot segments, escapes, backslashes and bytes the parser rewrites.
    "http://h/v1/./chat/completions",
    "http://h/v1/x/../chat/completions",
    "http://h/.",
    "http://h/..",
    "http://h/a/.%2e/b",
    "http://h/a/.b",
    "http://h/a/..b/",
    "http://h/a%2e/b",
    "http://h/v1\\chat\\completions",
    "http://h/a b",
    "http://h/\u00e9",
  ];
  for (const url of urls) assertEquals(requestPath(url), new URL(url).pathname, url);
});
