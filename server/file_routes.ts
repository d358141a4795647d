/**
 * @module `GET /files/<id>?token=...`: downloads of files `send_file` delivered. Only offered files
 * are served, only with their own token (a link a browser can open, so no bearer header), and
 * only until they expire; anything else is the same 404, so ids cannot be probed.
 */

import { FILE_ROUTE_PREFIX } from "../tools/file_delivery.ts";
import type { HttpRoute } from "./http_routes.ts";

const FILE_PATH = new RegExp(`^${FILE_ROUTE_PREFIX}([A-Za-z0-9_-]{16,64})$`);

export const fileRoutes: HttpRoute[] = [{
  method: "GET",
  path: FILE_PATH,
  auth: false,
  handle: async (request, ctx, match) => {
    const token = new URL(request.url).searchParams.get("token");
    if (!token) return new Response("A token is required", { status: 401 });
    const stored = await ctx.services.fileDelivery?.open(match![1], token);
    if (!stored) return new Response("Not found or expired", { status: 404 });
    let file: Deno.FsFile;
    try {
      file = await Deno.open(stored.file);
    } catch {
      return new Response("Not found or expired", { status: 404 });
    }
    const ascii = stored.name.replace(/[^\x20-\x7e]|["\\]/g, "_");
    return new Response(file.readable, {
      headers: {
        "content-type": stored.mimeType,
        "content-length": String(stored.size),
        "content-disposition": `attachment; filename="${ascii}"; filename*=UTF-8''${
          encodeURIComponent(stored.name)
        }`,
        "cache-control": "private, no-store",
        "x-content-type-options": "nosniff",
      },
    });
  },
}];
