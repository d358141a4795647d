/**
 * @module `send_file`: delivers a workspace file to the user. The session's clients get a
 * file event (`chat.file` on the wire) with its name, MIME type (sniffed from the content with file-type, the
 * extension only as a fallback), size, and either the bytes inline (base64, small files) or a
 * token-protected download URL on the gateway that expires.
 */

import { Buffer } from "node:buffer";
import { basename, extname } from "../core/path.ts";
import { z } from "zod";
import { resolveToolPath, statFile } from "./tool_paths.ts";
import { defineTool, type ToolEvent } from "./tool.ts";

const parameters = z.strictObject({
  path: z.string().min(1).describe("File to send, relative to the workspace"),
  name: z.string().min(1).max(255).optional().describe("File name the user sees"),
  caption: z.string().max(4_000).optional().describe("A short message shown with the file"),
});

export const sendFile = defineTool({
  name: "send_file",
  group: "group:message",
  description: "Send a file from the workspace to the user (a download in their chat). " +
    "The file type is detected automatically.",
  parameters,
  async run({ path, name, caption }, ctx) {
    const full = await resolveToolPath(ctx, path);
    const { size } = await statFile(full, path);
    const shownName = safeName(name ?? basename(full));
    const mimeType = await detectMimeType(full, shownName);
    const inlineMax = ctx.config().tools.sendFile.inlineMaxBytes;
    const file: Extract<ToolEvent, { type: "file" }> = {
      type: "file",
      name: shownName,
      mimeType,
      size,
      ...(caption ? { caption } : {}),
    };
    if (size <= inlineMax) {
      file.data = Buffer.from(await Deno.readFile(full)).toString("base64");
    } else {
      const delivery = ctx.services.fileDelivery;
      if (!delivery) {
        throw new Error(
          `File is too large to send inline: ${path} is ${size} bytes ` +
            `(tools.sendFile.inlineMaxBytes is ${inlineMax}) and no download service is running`,
        );
      }
      const offer = await delivery.offer(full, {
        name: shownName,
        mimeType,
        sessionId: ctx.sessionId,
      });
      file.url = offer.url;
      file.expiresAt = offer.expiresAt;
    }
    ctx.emit(file);
    const how = file.url ? "as a download link" : "inline";
    const { type: _type, data: _bytes, ...sent } = file;
    const summary = { sessionId: ctx.sessionId, agentId: ctx.agentId, ...sent };
    return {
      content: `Sent ${shownName} (${mimeType}, ${size} bytes) to the user ${how}`,
      data: summary,
    };
  },
});

/** Names clients may safely show and save: no folders, no control characters. */
function safeName(name: string): string {
  // deno-lint-ignore no-control-regex
  const cleaned = basename(name.replace(/\\/g, "/")).replace(/[\x00-\x1f\x7f]/g, "").trim();
  return cleaned === "" || cleaned === "." || cleaned === ".." ? "file" : cleaned;
}

/** Types file-type cannot see in the bytes (text formats), by extension. */
const TEXT_TYPES: Record<string, string> = {
  ".txt": "text/plain",
  ".log": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".tsv": "text/tab-separated-values",
  ".json": "application/json",
  ".html": "text/html",
  ".htm": "text/html",
  ".css": "text/css",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".ts": "text/typescript",
  ".xml": "application/xml",
  ".svg": "image/svg+xml",
  ".yaml": "application/yaml",
  ".yml": "application/yaml",
  ".ics": "text/calendar",
  ".py": "text/x-python",
  ".sh": "application/x-sh",
};

/**
 * The MIME type of a file: from its content when it has a signature (so a PNG named `.txt` is
 * still a PNG), else from the name's extension, else text or binary by a look at its bytes.
 */
export async function detectMimeType(file: string, name: string): Promise<string> {
  const { fileTypeFromFile } = await import("file-type");
  const sniffed = await fileTypeFromFile(file);
  if (sniffed) return sniffed.mime;
  const byName = TEXT_TYPES[extname(name).toLowerCase()];
  if (byName) return byName;
  return await looksLikeText(file) ? "text/plain" : "application/octet-stream";
}

async function looksLikeText(file: string): Promise<boolean> {
  using handle = await Deno.open(file);
  const head = new Uint8Array(4096);
  const read = await handle.read(head) ?? 0;
  const bytes = head.subarray(0, read);
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}
