/**
 * @module Contract of `chat.*`: send, abort, history, resend and edit. A run-starting method
 * answers once its run has ended; the run streams `chat.*` events (see `../events.ts`).
 */

import { z } from "zod";
import { methods } from "../contract.ts";
import { errorCode, usage } from "./_shared.ts";
import { sessionPage } from "./sessions.ts";
import { MAX_MESSAGE_CHARS, MAX_SYSTEM_PROMPT_CHARS } from "../limits.ts";

export { MAX_MESSAGE_CHARS };

const id = z.string().min(1).max(128);
const overrides = {
  agentId: id.optional(),
  sessionId: id.optional(),
  provider: z.string().min(1).max(128).optional(),
  model: z.string().min(1).max(256).optional(),
};
/** Where an attachment's base64 starts: after a `data:` URL's comma. */
function payloadStart(content: string): number {
  return content.startsWith("data:") ? content.indexOf(",") + 1 : 0;
}

/** The MIME type a `data:` URL declares, if the content is one. */
function dataUrlType(content: string): string | undefined {
  return content.match(/^data:([^;,]+)/)?.[1];
}

/** The first bytes of base64 `content` (a dozen at most), or undefined when they do not decode. */
function leadingBytes(content: string): Uint8Array | undefined {
  // Only the head is decoded: an attachment may be 25 MB, and chat.send is a hot path.
  const head = content.slice(payloadStart(content), payloadStart(content) + 256)
    .replace(/\s+/g, "").slice(0, 16).replace(/-/g, "+").replace(/_/g, "/");
  try {
    return Uint8Array.from(
      atob(head.slice(0, head.length - (head.length % 4))),
      (c) => c.charCodeAt(0),
    );
  } catch {
    return undefined;
  }
}

/** Image formats by their first bytes (`undefined`: any byte), with the type they are sent as. */
const IMAGE_SIGNATURES: [string, readonly (number | undefined)[]][] = [
  ["image/png", [0x89, 0x50, 0x4e, 0x47]],
  ["image/jpeg", [0xff, 0xd8, 0xff]],
  ["image/gif", [0x47, 0x49, 0x46, 0x38]],
  ["image/webp", [0x52, 0x49, 0x46, 0x46, , , , , 0x57, 0x45, 0x42, 0x50]], // RIFF....WEBP
  ["image/bmp", [0x42, 0x4d]],
  ["image/avif", [, , , , 0x66, 0x74, 0x79, 0x70, 0x61, 0x76, 0x69]], // ....ftypavi(f|s)
  ["image/heic", [, , , , 0x66, 0x74, 0x79, 0x70, 0x68, 0x65]], // ....ftyphe(ic|ix|vc|vx)
  ["image/heic", [, , , , 0x66, 0x74, 0x79, 0x70, 0x6d, 0x69, 0x66, 0x31]], // ....ftypmif1
  ["image/heic", [, , , , 0x66, 0x74, 0x79, 0x70, 0x6d, 0x73, 0x66, 0x31]], // ....ftypmsf1
  ["image/tiff", [0x49, 0x49, 0x2a, 0x00]], // little-endian
  ["image/tiff", [0x4d, 0x4d, 0x00, 0x2a]], // big-endian
  ["image/x-icon", [0x00, 0x00, 0x01, 0x00]], // ICO
  ["image/jp2", [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]], // JP2 box
  ["image/jp2", [0xff, 0x4f, 0xff, 0x51]], // JPEG 2000 codestream (J2K)
];

/** The image format `bytes` start as (the formats vision models take, and kin), by its type. */
function sniffImage(bytes: Uint8Array): string | undefined {
  return IMAGE_SIGNATURES.find(([, signature]) =>
    bytes.length >= signature.length &&
    signature.every((byte, i) => byte === undefined || bytes[i] === byte)
  )?.[0];
}

/** A media type's essence (RFC 9110 `type/subtype`, lower case): parameters such as `; charset` dropped. */
function essence(mediaType: string): string {
  return mediaType.split(";")[0].trim().toLowerCase();
}

/** Types that say only "bytes": the bytes tell what an image attachment is. */
const UNTYPED = new Set(["application/octet-stream", "binary/octet-stream", ""]);

const IMAGE_NAME = /\.(png|jpe?g|gif|webp)$/i;

/** Whether an attachment's content is only whitespace, after a `data:` URL's header. */
function isEmpty(content: string): boolean {
  return !/\S/.test(content.slice(payloadStart(content)));
}

const attachment = z.object({
  type: z.enum(["image", "file"]).optional(),
  mimeType: z.string().max(200).optional(),
  fileName: z.string().max(255).optional(),
  /** Base64 bytes or a data URL; `data` is accepted as an alias. */
  content: z.string().optional(),
  data: z.string().optional(),
}).transform((a, check) => {
  const content = a.content ?? a.data;
  if (content === undefined) {
    check.addIssue({ code: "custom", message: "Attachment needs content (base64)" });
    return z.NEVER;
  }
  const field = a.content !== undefined ? "content" : "data";
  const declared = a.mimeType ?? dataUrlType(content);
  const type = declared === undefined ? undefined : essence(declared);
  const image = a.type === "image" ||
    (a.type === undefined &&
      (type?.startsWith("image/") ||
        (declared === undefined && IMAGE_NAME.test(a.fileName ?? ""))));
  if (isEmpty(content)) {
    // An empty file beside a message is a file of no bytes; whether anything at all was sent is
    // judged with the rest of the params (sendParams). An image of no bytes is no image.
    if (image) check.addIssue({ code: "custom", path: [field], message: "Attachment is empty" });
    return image ? z.NEVER : a;
  }
  if (!image) return a;
  // SVG is text (XML), not a raster a vision model reads: no signature to check.
  if (type !== undefined && /^image\/svg\+xml$/.test(type)) return { ...a, mimeType: type };
  // An image goes to the model as an image part of its type: anything else is refused rather
  // than sent as what it is not, whether the type says so or the bytes do. Only the head is
  // decoded: an attachment may be 25 MB, and chat.send is a hot path.
  const bytes = leadingBytes(content);
  const sniffed = bytes && sniffImage(bytes);
  if (type !== undefined && !type.startsWith("image/") && !(UNTYPED.has(type) && sniffed)) {
    check.addIssue({
      code: "custom",
      path: ["mimeType"],
      message: `Not an image type: "${declared}" (an image attachment needs image/*)`,
    });
    return z.NEVER;
  }
  if (bytes && !sniffed) {
    check.addIssue({
      code: "custom",
      path: [field],
      message: `Attachment ${a.fileName ?? ""}`.trimEnd() +
        " is not an image: its bytes are no image format (PNG, JPEG, GIF, WebP, \u2026)",
    });
    return z.NEVER;
  }
  // Sent as what the bytes are (a provider refuses PNG bytes called image/jpeg), else as the
  // declared type's essence (no `; charset=binary` in an image part).
  return { ...a, mimeType: sniffed ?? type };
});

const sendParams = z.object({
  message: z.string().max(MAX_MESSAGE_CHARS),
  ...overrides,
  systemPrompt: z.string().max(MAX_SYSTEM_PROMPT_CHARS).optional(),
  attachments: z.array(attachment).max(20).optional(),
  abortPrevious: z.boolean().optional(),
  temperature: z.number().min(0).max(2).optional(),
}).refine((p) => p.message.trim() !== "" || (p.attachments?.length ?? 0) > 0, {
  message: "Message is empty",
  path: ["message"],
}).superRefine((p, check) => {
  // Empty attachments are no input on their own: they would start a turn on nothing.
  const attachments = p.attachments ?? [];
  const empty = attachments.map((a) => isEmpty(a.content ?? a.data ?? ""));
  if (p.message.trim() !== "" || empty.some((e) => !e)) return;
  for (const [index, a] of attachments.entries()) {
    const field = a.content !== undefined ? "content" : "data";
    check.addIssue({
      code: "custom",
      path: ["attachments", index, field],
      message: "Attachment is empty",
    });
  }
});

/** What a run-starting method answers once the run has ended. */
const runOutcome = z.object({
  completed: z.boolean(),
  aborted: z.boolean(),
  agentId: z.string(),
  sessionId: z.string(),
  usage,
  error: z.object({
    code: errorCode,
    message: z.string(),
    retryAfterMs: z.number().optional(),
  }).optional(),
});

export const chatContract = methods({
  "chat.send": {
    summary: "Run one agent turn on a session; answers when the run has ended",
    params: sendParams,
    result: runOutcome,
  },
  "chat.abort": {
    summary: "Abort a session's running and queued runs",
    params: z.object({ sessionId: id, agentId: id.optional() }),
    result: z.object({ aborted: z.boolean() }),
  },
  "chat.history": {
    summary: "A page of a session's messages, newest last; `cursor` pages back",
    params: z.object({
      sessionId: id,
      agentId: id.optional(),
      limit: z.number().int().positive().max(10_000).default(200),
      /** `nextCursor` of the newer page: the page before it. */
      cursor: z.string().min(1).max(32).optional(),
    }),
    result: sessionPage,
  },
  "chat.resend": {
    summary: "Answer the session's last user message again",
    params: z.object(overrides),
    result: runOutcome,
  },
  "chat.edit": {
    summary: "Replace the session's last user message and answer it",
    params: z.object({
      message: z.string().max(MAX_MESSAGE_CHARS).refine((m) => m.trim() !== "", "Message is empty"),
      ...overrides,
    }),
    result: runOutcome,
  },
});
