/**
 * @module chat.send's attachment params, as a client meets them: empty attachments and
 * "images" that are not images are refused before a turn runs; real images still go through.
 */

import { assertEquals, assertRejects } from "../../_helpers/assert.ts";
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
