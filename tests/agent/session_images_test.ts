import { join } from "node:path";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { startChatGateway } from "../_helpers/chat_gateway.ts";

// A 1×1 PNG.
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

Deno.test("an attached image is stored as a file beside the session and sent to the model once", async () => {
  await using env = await startChatGateway({ inProcess: true });
  const client = await env.gw.connect();
  await client.request("chat.send", {
    sessionId: "pics",
    message: "What is in this picture?",
    attachments: [{ type: "image", mimeType: "image/png", content: PNG }],
  });
  const dir = env.gw.paths.sessionsDir("main");
  const text = await Deno.readTextFile(join(dir, "pics.jsonl"));
  assert(!text.includes(PNG), "no base64 in the session file");
  const user = JSON.parse(text.split("\n")[0]);
  const image = user.content.find((part: { type: string }) => part.type === "image");
  assertEquals(image.mimeType, "image/png");
  assert(/^pics\.files\/[0-9a-f]{64}\.png$/.test(image.file), image.file);
  const bytes = await Deno.readFile(join(dir, image.file));
  assertEquals(btoa(String.fromCharCode(...bytes)), PNG);
  assert(JSON.stringify(env.upstream.requests[0].body).includes(PNG), "sent with its turn");

  await client.request("chat.send", { sessionId: "pics", message: "And now?" });
  const later = JSON.stringify(env.upstream.requests[1].body);
  assert(!later.includes(PNG), "not sent again");
  assert(later.includes("shown earlier, not re-sent"));

  // chat.history names the file.
  const history = await client.request("chat.history", {
    sessionId: "pics",
  });
  assert(JSON.stringify(history.messages[0].content).includes(image.file));

  await client.request("sessions.delete", { path: join(dir, "pics.jsonl") });
  const gone = await Deno.stat(join(dir, "pics.files")).then(() => false, () => true);
  assert(gone, "the session's images go with it");
});
