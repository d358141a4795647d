/**
 * @module Images of a session as files beside it: `<sessionId>.files/<sha256>.<ext>` in the
 * agent's sessions folder. A session line names the file instead of carrying base64, so lines
 * stay small and an old screenshot is never re-read (or re-sent) unless asked for.
 */

import { decodeBase64 } from "../../core/base64.ts";
import { join } from "../../core/path.ts";
import type { ContentPart } from "../providers/types.ts";

/** A content part as a session line holds it. */
export type StoredPart =
  | ContentPart
  | {
    type: "image";
    mimeType: string;
    /** Relative to the agent's sessions folder: `<sessionId>.files/<sha256>.<ext>`. */
    file: string;
  };

const EXTENSIONS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/gif": "gif",
  "image/webp": "webp",
};

const FILE_REF = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}\.files\/[0-9a-f]{64}\.[a-z]{1,5}$/;

/**
 * The entry with every inline (base64) image written to a file under `sessionsDir` and
 * replaced by a reference; entries without images come back as they are.
 */
export async function storeImages<T extends { content?: unknown }>(
  entry: T,
  sessionsDir: string,
  sessionId: string,
): Promise<T> {
  if (!Array.isArray(entry.content)) return entry;
  const parts = entry.content as StoredPart[];
  if (!parts.some((part) => part.type === "image" && "base64" in part)) return entry;
  const stored = await Promise.all(parts.map(async (part): Promise<StoredPart> => {
    if (part.type !== "image" || !("base64" in part)) return part;
    const bytes = await decodeBase64(part.base64);
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
    const file = `${sessionId}.files/${hex}.${EXTENSIONS[part.mimeType] ?? "bin"}`;
    const path = join(sessionsDir, file);
    await Deno.mkdir(join(sessionsDir, `${sessionId}.files`), { recursive: true });
    // Content-addressed: the same screenshot twice is one file, and a file that exists is whole
    // (written under a temp name, then renamed).
    try {
      await Deno.lstat(path);
    } catch {
      const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
      await Deno.writeFile(temp, bytes, { mode: 0o600 });
      await Deno.rename(temp, path);
    }
    return { type: "image", mimeType: part.mimeType, file };
  }));
  return { ...entry, content: stored };
}

/**
 * The image a stored part names, as base64; `undefined` when the file is gone or the
 * reference is not one this store writes (nothing outside the sessions folder is read).
 */
export async function loadImage(
  part: StoredPart & { type: "image" },
  sessionsDir: string,
): Promise<ContentPart | undefined> {
  if ("base64" in part) return part;
  if (!FILE_REF.test(part.file)) return undefined;
  try {
    const bytes = await Deno.readFile(join(sessionsDir, part.file));
    return {
      type: "image",
      mimeType: part.mimeType,
      base64: bytes.toBase64(),
    };
  } catch {
    return undefined;
  }
}
