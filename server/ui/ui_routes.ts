/**
 * @module The Control UI's HTTP routes: the page at `/` and its hashed script, style and icon
 * under `/ui/`. No auth (they hold no secrets; the app signs in over the WebSocket with the
 * token), a strict Content-Security-Policy, and caching by content hash. The bundled assets are
 * imported on the first request, so gateway start-up does not pay for them: by a URL built at
 * run time, since Deno reads and keeps every module a literal `import()` names at start (68 KB).
 */

import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import type { HttpRoute } from "../http_routes.ts";
import type { UiAsset } from "./assets.gen.ts";

const assets = loadOnce(() =>
  importLazily<typeof import("./assets.gen.ts")>(new URL("./assets.gen.ts", import.meta.url))
);

/** The policy of the page: its own files only, the gateway's WebSocket, no inline code. */
export function contentSecurityPolicy(host: string | null): string {
  // The WebSocket is named explicitly: older browsers do not let 'self' cover ws: and wss:.
  const sockets = host && /^[A-Za-z0-9.\-:[\]]+$/.test(host) ? ` ws://${host} wss://${host}` : "";
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    `connect-src 'self'${sockets}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const SECURITY_HEADERS = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

const etags = new Map<string, string>();

async function etagOf(path: string, asset: UiAsset): Promise<string> {
  const known = etags.get(path);
  if (known) return known;
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(asset.body));
  const hex = [...new Uint8Array(digest)].slice(0, 10)
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  etags.set(path, `"${hex}"`);
  return `"${hex}"`;
}

async function serve(
  request: Request,
  path: string,
  asset: UiAsset,
  cacheControl: string,
): Promise<Response> {
  const etag = await etagOf(path, asset);
  const headers: Record<string, string> = {
    ...SECURITY_HEADERS,
    "content-type": `${asset.type}; charset=utf-8`,
    "cache-control": cacheControl,
    etag,
  };
  if (asset.type === "text/html") {
    headers["content-security-policy"] = contentSecurityPolicy(request.headers.get("host"));
  }
  if (request.headers.get("if-none-match") === etag) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(asset.body, { headers });
}

export const uiRoutes: HttpRoute[] = [
  {
    method: "GET",
    path: "/",
    auth: false,
    // The page names the current hashed files, so it is revalidated on every load.
    handle: async (request) =>
      serve(request, "/", { type: "text/html", body: (await assets()).INDEX_HTML }, "no-cache"),
  },
  {
    method: "GET",
    path: /^\/ui\/[A-Za-z0-9._-]+$/,
    auth: false,
    handle: async (request) => {
      const path = new URL(request.url).pathname;
      const asset = Object.hasOwn((await assets()).UI_ASSETS, path)
        ? (await assets()).UI_ASSETS[path]
        : undefined;
      if (!asset) {
        return new Response("Not found", {
          status: 404,
          headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8" },
        });
      }
      return serve(request, path, asset, "public, max-age=31536000, immutable");
    },
  },
];
