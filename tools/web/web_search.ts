/**
 * @module `web_search`: titles, URLs and snippets from the configured provider
 * (`tools.web.search`): Brave's web search API, or a SearXNG instance's JSON API. The results
 * reach the model wrapped as external, untrusted content.
 */

import { z } from "zod";
import { wrapExternal } from "../external_content.ts";
import { defineTool } from "../tool.ts";
import { searchBrave, type SearchResult, searchSearxng } from "./_search_providers.ts";

const parameters = z.strictObject({
  query: z.string().min(1).max(2_000),
  count: z.number().int().min(1).max(20).default(5),
});

export const webSearch = defineTool({
  name: "web_search",
  group: "group:web",
  description: "Search the web; returns title, URL and snippet per result.",
  parameters,
  async run({ query, count }, ctx) {
    const settings = ctx.config().tools.web.search;
    if (!settings.provider) {
      throw new Error(
        "web_search is not configured: set tools.web.search.provider to brave (with apiKey) " +
          "or searxng (with baseUrl)",
      );
    }
    const request = { query, count, timeoutMs: settings.timeoutMs, signal: ctx.signal };
    const results: SearchResult[] = settings.provider === "brave"
      ? await searchBrave({ ...request, apiKey: settings.apiKey, baseUrl: settings.baseUrl })
      : await searchSearxng({ ...request, baseUrl: settings.baseUrl });
    const shown = results.slice(0, count);
    const text = shown.length
      ? shown.map((r, i) => `${i + 1}. ${r.title}\n   ${r.url}\n   ${r.snippet}`).join("\n\n")
      : "No results";
    return {
      content: wrapExternal(text, { tool: "web_search", from: settings.provider }),
      data: { provider: settings.provider, query, results: shown },
    };
  },
});
