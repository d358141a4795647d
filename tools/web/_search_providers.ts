/**
 * @module The web search providers `web_search` speaks to: Brave's web search API
 * (`GET /web/search`, `X-Subscription-Token`) and SearXNG's JSON API (`GET /search?format=json`).
 */

/** One result, whatever the provider. */
export interface SearchResult {
  title: string;
  url: string;
  snippet: string;
}

interface SearchRequest {
  query: string;
  count: number;
  timeoutMs: number;
  signal: AbortSignal;
}

/** Brave's API base; `tools.web.search.baseUrl` replaces it (a proxy, or a test's stand-in). */
const BRAVE_BASE = "https://api.search.brave.com/res/v1";

/** Searches with Brave. @throws {Error} without an API key, or when Brave answers an error */
export async function searchBrave(
  request: SearchRequest & { apiKey?: string; baseUrl?: string },
): Promise<SearchResult[]> {
  if (!request.apiKey) {
    throw new Error("web_search with brave needs tools.web.search.apiKey (a Brave Search API key)");
  }
  const url = new URL(`${(request.baseUrl ?? BRAVE_BASE).replace(/\/+$/, "")}/web/search`);
  url.searchParams.set("q", request.query);
  url.searchParams.set("count", String(Math.min(request.count, 20)));
  const body = await getJson(url, request, {
    accept: "application/json",
    "x-subscription-token": request.apiKey,
  }) as { web?: { results?: { title?: string; url?: string; description?: string }[] } };
  return (body.web?.results ?? []).map((r) => ({
    title: plain(r.title ?? ""),
    url: r.url ?? "",
    snippet: plain(r.description ?? ""),
  }));
}

/** Searches a SearXNG instance. @throws {Error} without a base URL, or on an error answer */
export async function searchSearxng(
  request: SearchRequest & { baseUrl?: string },
): Promise<SearchResult[]> {
  if (!request.baseUrl) {
    throw new Error("web_search with searxng needs tools.web.search.baseUrl (the instance's URL)");
  }
  const url = new URL(`${request.baseUrl.replace(/\/+$/, "")}/search`);
  url.searchParams.set("q", request.query);
  url.searchParams.set("format", "json");
  const body = await getJson(url, request, { accept: "application/json" }) as {
    results?: { title?: string; url?: string; content?: string }[];
  };
  return (body.results ?? []).map((r) => ({
    title: plain(r.title ?? ""),
    url: r.url ?? "",
    snippet: plain(r.content ?? ""),
  }));
}

async function getJson(
  url: URL,
  request: SearchRequest,
  headers: Record<string, string>,
): Promise<unknown> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), request.timeoutMs);
  try {
    const response = await fetch(url, {
      headers,
      signal: AbortSignal.any([request.signal, timeout.signal]),
    });
    if (!response.ok) {
      const detail = (await response.text()).slice(0, 300);
      throw new Error(`Search provider answered HTTP ${response.status}: ${detail}`);
    }
    return await response.json();
  } catch (error) {
    if (timeout.signal.aborted && !request.signal.aborted) {
      throw new Error(`Search provider did not answer within ${request.timeoutMs} ms`);
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Snippets come with highlight tags (`<strong>`) and entities; the model wants plain text. */
function plain(text: string): string {
  return text.replace(/<[^>]*>/g, "").replace(
    /&(amp|lt|gt|quot|#39);/g,
    (_, name: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[name] ?? "",
  ).trim();
}
