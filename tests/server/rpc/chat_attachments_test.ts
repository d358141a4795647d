/**
 * @module chat.send's attachment params, as a client meets them: empty attachments and
 * "images" that are not images are refused before a turn runs; real images still go through.
 */

import { assert, assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";
import { GatewayError } from "../../../core/errors.ts";

const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const HTML = btoa("<html><script>alert(1)</script></html>");

Deno.test("chat.send refuses empty attachments and images that are not images, before any turn", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  for (
    const [attachment, path, message] of [
      [{ content: "" }, "content", "Attachment is empty"],
      [{ data: "  \n" }, "data", "Attachment is empty"],
      [{ content: "data:image/png;base64," }, "content", "Attachment is empty"],
      [
        { type: "image", mimeType: "text/html", content: HTML },
        "mimeType",
        'Not an image type: "text/html" (an image attachment needs image/*)',
      ],
      [
        { type: "image", content: `data:text/html;base64,${HTML}` },
        "mimeType",
        'Not an image type: "text/html" (an image attachment needs image/*)',
      ],
      [
        { mimeType: "image/png", fileName: "x.png", content: HTML },
        "content",
        "Attachment x.png is not an image: its bytes are no image format (PNG, JPEG, GIF, WebP, …)",
      ],
      [
        { fileName: "y.jpg", content: HTML },
        "content",
        "Attachment y.jpg is not an image: its bytes are no image format (PNG, JPEG, GIF, WebP, …)",
      ],
    ] as const
  ) {
    const error = await assertRejects(
      () => client.request("chat.send", { message: "", attachments: [attachment] }),
      GatewayError,
    );
    assertEquals(error.code, "INVALID_PARAMS", JSON.stringify(attachment));
    const issues = error.details?.issues as { path: string; message: string }[];
    assertEquals(
      issues.map((i) => [i.path, i.message]),
      [[`attachments.0.${path}`, message]],
    );
  }
  assertEquals(env.upstream.requests.length, 0);
  assertEquals(await client.request("sessions.list"), { sessions: [] });

  // A real PNG, and a text file whose type is text, still go through.
  await client.request("chat.send", {
    message: "",
    attachments: [
      { type: "image", mimeType: "image/png", content: PNG },
      { mimeType: "text/html", fileName: "page.html", content: HTML },
    ],
  });
  assertEquals(env.upstream.requests.length, 1);
});

/** Base64 of `bytes` followed by some filler, as an image file's head. */
function b64(...bytes: number[]): string {
  return btoa(String.fromCharCode(...bytes, ...new Array(16).fill(0)));
}

Deno.test("chat.send takes an empty file beside a message, a type with parameters or octet-stream on real image bytes, ICO and JPEG 2000", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  // An empty file with a message, or beside an attachment with content: a file of no bytes.
  await client.request("chat.send", {
    message: "here is an empty file",
    attachments: [{ fileName: "empty.txt", mimeType: "text/plain", content: "" }],
  });
  await client.request("chat.send", {
    message: "",
    attachments: [
      { fileName: "empty.txt", content: "" },
      { type: "image", mimeType: "image/png", content: PNG },
    ],
  });
  // Everything empty is still nothing to send.
  const nothing = await assertRejects(
    () =>
      client.request("chat.send", {
        message: " ",
        attachments: [{ fileName: "a.txt", content: "" }, { fileName: "b.txt", data: "" }],
      }),
    GatewayError,
  );
  assertEquals(
    (nothing.details?.issues as { path: string }[]).map((i) => i.path),
    ["attachments.0.content", "attachments.1.data"],
  );
  // Real PNG bytes with a type that has parameters, or says only "bytes": sent as image/png.
  for (const mimeType of ["image/jpeg; charset=binary", "application/octet-stream", "image/PNG"]) {
    const before = env.upstream.requests.length;
    await client.request("chat.send", {
      message: "",
      attachments: [{ type: "image", mimeType, content: PNG }],
    });
    assertEquals(env.upstream.requests.length, before + 1);
    // As an image part, or named as a saved file for a model without vision: image/png both ways.
    const body = JSON.stringify(env.upstream.requests.at(-1));
    assert(/image\/png/.test(body), `${mimeType}: ${body.slice(0, 600)}`);
    assert(!/charset|octet-stream|image\/jpeg|image\/PNG/.test(body), body.slice(0, 600));
  }
  // ICO and JPEG 2000 (JP2 box and bare codestream) are images too.
  const ico = b64(0x00, 0x00, 0x01, 0x00, 0x01, 0x00);
  const jp2 = b64(0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a);
  const j2k = b64(0xff, 0x4f, 0xff, 0x51);
  for (
    const [mimeType, content] of [
      ["image/x-icon", ico],
      ["image/vnd.microsoft.icon", ico],
      ["image/jp2", jp2],
      ["image/jp2", j2k],
    ]
  ) {
    await client.request("chat.send", {
      message: "",
      attachments: [{ type: "image", mimeType, content }],
    });
  }
  // Still refused: text/html called an image, and octet-stream whose bytes are no image.
  for (const mimeType of ["text/html", "text/html; charset=utf-8", "application/octet-stream"]) {
    const error = await assertRejects(
      () =>
        client.request("chat.send", {
          message: "",
          attachments: [{ type: "image", mimeType, content: HTML }],
        }),
      GatewayError,
    );
    assertEquals((error.details?.issues as { path: string }[])[0].path, "attachments.0.mimeType");
  }
});
