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

const IMAGE_SIGNATURES: (readonly (number | undefined)[])[] = [
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0xff, 0xd8, 0xff], // JPEG
  [0x47, 0x49, 0x46, 0x38], // GIF
  [0x52, 0x49, 0x46, 0x46, , , , , 0x57, 0x45, 0x42, 0x50], // WebP (RIFF....WEBP)
  [0x42, 0x4d], // BMP
  [, , , , 0x66, 0x74, 0x79, 0x70], // AVIF, HEIC (....ftyp)
  [0x49, 0x49, 0x2a, 0x00], // TIFF, little-endian
  [0x4d, 0x4d, 0x00, 0x2a], // TIFF, big-endian
];

/** Whether `bytes` start as an image format does (the formats vision models take, and kin). */
function looksLikeImage(bytes: Uint8Array): boolean {
  return IMAGE_SIGNATURES.some((signature) =>
    bytes.length >= signature.length &&
    signature.every((byte, i) => byte === undefined || bytes[i] === byte)
  );
}

const IMAGE_NAME = /\.(png|jpe?g|gif|webp)$/i;

const attachment = z.object({
  type: z.enum(["image", "file"]).optional(),
  mimeType: z.string().max(200).optional(),
  fileName: z.string().max(255).optional(),
  /** Base64 bytes or a data URL; `data` is accepted as an alias. */
  content: z.string().optional(),
  data: z.string().optional(),
}).superRefine((a, check) => {
  const content = a.content ?? a.data;
  if (content === undefined) {
    check.addIssue({ code: "custom", message: "Attachment needs content (base64)" });
    return;
  }
  const field = a.content !== undefined ? "content" : "data";
  // An empty attachment is no input: it would start a turn on nothing ("Message is empty").
  if (!/\S/.test(content.slice(payloadStart(content)))) {
    check.addIssue({ code: "custom", path: [field], message: "Attachment is empty" });
    return;
  }
  const declared = a.mimeType ?? dataUrlType(content);
  // An image goes to the model as an image part of its type: anything else is refused rather
  // than sent as what it is not, whether the type says so or the bytes do.
  if (a.type === "image" && declared !== undefined && !/^image\/[a-z0-9.+-]+$/i.test(declared)) {
    check.addIssue({
      code: "custom",
      path: ["mimeType"],
      message: `Not an image type: "${declared}" (an image attachment needs image/*)`,
    });
    return;
  }
  const image = a.type === "image" ||
    (a.type === undefined &&
      (declared?.toLowerCase().startsWith("image/") ||
        (declared === undefined && IMAGE_NAME.test(a.fileName ?? ""))));
  // SVG is text (XML), not a raster a vision model reads: no signature to check.
  if (image && !/svg/i.test(declared ?? "")) {
    const bytes = leadingBytes(content);
    if (bytes && !looksLikeImage(bytes)) {
      check.addIssue({
        code: "custom",
        path: [field],
        message: `Attachment ${a.fileName ?? ""}`.trimEnd() +
          " is not an image: its bytes are no image format (PNG, JPEG, GIF, WebP, …)",
      });
    }
  }
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
