/**
 * @module Chat attachments: images go to vision models as image parts; other files (and images
 * for models without vision) are saved into the agent's workspace for the document tools, and
 * the message names where.
 */

import { decodeBase64 } from "../core/base64.ts";
import { basename, extname, join } from "../core/path.ts";
import { ErrorCode, GatewayError } from "../core/errors.ts";
import type { ContentPart } from "./providers/types.ts";

/** An attachment as `chat.send` takes it. */
export interface Attachment {
  /** @default from the MIME type */
  type?: "image" | "file";
  mimeType?: string;
  fileName?: string;
  /** Base64 bytes, or a `data:` URL. */
  content: string;
}

const EXTENSION_TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".pdf": "application/pdf",
  ".txt": "text/plain",
  ".md": "text/markdown",
  ".csv": "text/csv",
  ".json": "application/json",
  ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
};

/** What attachments add to a user message. */
export interface PreparedAttachments {
  parts: ContentPart[];
  /** Lines appended to the message text, naming saved files. */
  notes: string[];
}

/**
 * Decodes attachments; images become parts when `vision`, everything else is written under
 * `dir` (created on demand).
 *
 * @throws {GatewayError} INVALID_PARAMS for content that is not base64
 */
export async function prepareAttachments(
  attachments: readonly Attachment[],
  options: { vision: boolean; dir: string },
): Promise<PreparedAttachments> {
  const prepared: PreparedAttachments = { parts: [], notes: [] };
  for (const [index, attachment] of attachments.entries()) {
    const { base64, dataUrl } = decodeContent(attachment, index);
    const name = safeName(attachment.fileName ?? `attachment-${index + 1}`);
    const mimeType = attachment.mimeType ?? dataUrl?.[1] ??
      EXTENSION_TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
    const isImage = attachment.type === "image" ||
      (attachment.type === undefined && mimeType.startsWith("image/"));
    if (isImage && options.vision) {
      prepared.parts.push({ type: "image", mimeType, base64 });
      continue;
    }
    const bytes = await decodeBase64(base64);
    await Deno.mkdir(options.dir, { recursive: true });
    const path = await freePath(options.dir, name);
    await Deno.writeFile(path, bytes, { mode: 0o600 });
    prepared.notes.push(`[Attached file: ${path} (${mimeType}, ${bytes.length} bytes)]`);
  }
  return prepared;
}

/**
 * Checks that every attachment's content is base64 (or a base64 `data:` URL), so a bad one is
 * refused before anything is written.
 *
 * @throws {GatewayError} INVALID_PARAMS naming the attachment
 */
export function validateAttachments(attachments: readonly Attachment[]): void {
  attachments.forEach(decodeContent);
}

function decodeContent(attachment: Attachment, index: number) {
  const dataUrl = attachment.content.match(/^data:([^;,]+)?(;base64)?,(.*)$/s);
  const base64 = (dataUrl ? dataUrl[3] : attachment.content).replace(/\s+/g, "");
  if ((dataUrl && !dataUrl[2]) || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(base64)) {
    throw new GatewayError(
      ErrorCode.INVALID_PARAMS,
      `Attachment ${attachment.fileName ?? index + 1} is not base64`,
    );
  }
  return { base64, dataUrl };
}

function safeName(name: string): string {
  const base = basename(name.replace(/\\/g, "/")).replace(/[^A-Za-z0-9._ -]/g, "_").trim();
  return base && !base.startsWith(".") ? base.slice(0, 120) : `file${base.slice(0, 100)}`;
}

async function freePath(dir: string, name: string): Promise<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1;; n++) {
    const candidate = join(dir, n === 1 ? name : `${stem}-${n}${ext}`);
    try {
      await Deno.lstat(candidate);
    } catch {
      return candidate;
    }
  }
}
