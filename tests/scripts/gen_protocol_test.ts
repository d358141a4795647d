import { assertEquals } from "../_helpers/assert.ts";
import { DOC_PATH, OPENRPC_PATH, renderDoc, renderOpenRpc } from "../../scripts/gen_protocol.ts";

Deno.test("docs/protocol.md's method and event tables are generated from the catalogue", async () => {
  const doc = await Deno.readTextFile(DOC_PATH);
  assertEquals(doc, renderDoc(doc), "stale: run scripts/gen_protocol.ts");
});

Deno.test("docs/openrpc.json is generated from the catalogue", async () => {
  assertEquals(
    await Deno.readTextFile(OPENRPC_PATH),
    renderOpenRpc(),
    "stale: run scripts/gen_protocol.ts",
  );
});

Deno.test("docs/openrpc.json describes every method with params and a result schema", async () => {
  const document = JSON.parse(await Deno.readTextFile(OPENRPC_PATH));
  const health = document.methods.find((m: { name: string }) => m.name === "health");
  assertEquals(health.result.schema.required, ["status", "uptime", "connections"]);
  const preview = document.methods.find((m: { name: string }) => m.name === "sessions.preview");
  assertEquals(
    preview.params.map((p: { name: string; required: boolean }) => [p.name, p.required]),
    [["path", true], ["limit", false], ["cursor", false]],
  );
  assertEquals(document["x-events"][0].name, "chat.delta");
});
