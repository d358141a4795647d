import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertRejects } from "../_helpers/assert.ts";
import { buildDocx, buildPdf } from "../_helpers/documents.ts";
import { toolContext } from "../_helpers/tool_context.ts";
import { sendFile } from "../../tools/send_file.ts";
import { FileDeliveryStore } from "../../tools/file_delivery.ts";

const PNG_1x1 = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

Deno.test("send_file sends a small file inline with the MIME type sniffed from its content", async () => {
  await using t = await toolContext();
  // A PNG under a misleading name: the content decides.
  await Deno.writeFile(join(t.dir, "picture.txt"), PNG_1x1);
  const result = await t.call(sendFile, { path: "picture.txt", caption: "Look" });
  assertEquals(t.events.length, 1);
  const payload = t.events[0];
  assert(payload.type === "file");
  assertEquals(payload.name, "picture.txt");
  assertEquals(payload.mimeType, "image/png");
  assertEquals(payload.size, PNG_1x1.length);
  assertEquals(payload.caption, "Look");
  assertEquals((result.data as { sessionId: string }).sessionId, "test-session");
  assertEquals(
    Uint8Array.from(atob(payload.data as string), (c) => c.charCodeAt(0)),
    PNG_1x1,
  );
  assertMatch(result.content, /Sent picture.txt \(image\/png, \d+ bytes\) to the user inline/);
});

Deno.test("send_file detects office documents, text by extension, and unknown bytes", async () => {
  await using t = await toolContext();
  await Deno.writeFile(join(t.dir, "memo.bin"), buildDocx([{ text: "hi" }]));
  await Deno.writeFile(join(t.dir, "doc"), buildPdf(["x"]));
  await Deno.writeTextFile(join(t.dir, "data.csv"), "a,b\n1,2\n");
  await Deno.writeTextFile(join(t.dir, "notes"), "plain words\n");
  await Deno.writeFile(join(t.dir, "blob"), new Uint8Array([0, 1, 2, 3, 255, 0]));
  const types: Record<string, unknown> = {};
  for (const path of ["memo.bin", "doc", "data.csv", "notes", "blob"]) {
    await t.call(sendFile, { path });
    types[path] = (t.events.at(-1) as { mimeType: string }).mimeType;
  }
  assertEquals(types, {
    "memo.bin": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/pdf",
    "data.csv": "text/csv",
    "notes": "text/plain",
    "blob": "application/octet-stream",
  });
});

Deno.test("send_file offers a large file as an expiring download", async () => {
  let now = 1_000_000;
  const store = new FileDeliveryStore({
    dir: await Deno.makeTempDir({ prefix: "pyclaw-outgoing-" }),
    ttlMs: () => 60_000,
    now: () => now,
  });
  try {
    await using t = await toolContext({
      config: { tools: { sendFile: { inlineMaxBytes: 10 } } },
      services: { fileDelivery: store },
    });
    await Deno.writeFile(join(t.dir, "report.pdf"), buildPdf(["Big enough"]));
    const result = await t.call(sendFile, { path: "report.pdf", name: "../Q3 report.pdf" });
    const payload = t.events[0];
    assert(payload.type === "file");
    assertEquals(payload.name, "Q3 report.pdf");
    assertEquals(payload.data, undefined);
    assertEquals(payload.expiresAt, now + 60_000);
    const url = new URL(String(payload.url), "http://gateway");
    const id = url.pathname.split("/").pop()!;
    const token = url.searchParams.get("token")!;
    assert(token.length >= 32);
    assertMatch(result.content, /as a download link/);
    // The copy is what is served: changing the original afterwards changes nothing.
    await Deno.writeTextFile(join(t.dir, "report.pdf"), "changed");
    const stored = await store.open(id, token);
    assertEquals(await Deno.readFile(stored!.file), buildPdf(["Big enough"]));
    assertEquals(stored!.mimeType, "application/pdf");
    assertEquals(await store.open(id, token.slice(1) + "x"), undefined);
    now += 60_001;
    assertEquals(await store.open(id, token), undefined);
  } finally {
    await store.close();
  }
});

Deno.test("send_file refuses paths outside the workspace and large files with no delivery", async () => {
  await using t = await toolContext({ config: { tools: { sendFile: { inlineMaxBytes: 10 } } } });
  await assertRejects(
    () => t.call(sendFile, { path: "/etc/hostname" }),
    Error,
    "outside the workspace",
  );
  await Deno.writeTextFile(join(t.dir, "long.txt"), "x".repeat(100));
  await assertRejects(
    () => t.call(sendFile, { path: "long.txt" }),
    Error,
    "File is too large to send inline",
  );
  assertEquals(t.events, []);
});
