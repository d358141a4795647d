import { assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { MAX_TEXT_CHARS, toToolOutput } from "../../../tools/mcp/tool_result.ts";

Deno.test("toToolOutput maps every MCP content block the model can use", () => {
  const output = toToolOutput({
    content: [
      { type: "text", text: "hello" },
      { type: "image", data: "iVBORw0KGgo=", mimeType: "image/png" },
      { type: "audio", data: "AAAA", mimeType: "audio/wav" },
      { type: "resource_link", uri: "file:///a.txt", name: "a.txt" },
      {
        type: "resource",
        resource: { uri: "file:///b.txt", mimeType: "text/plain", text: "inline b" },
      },
      { type: "resource", resource: { uri: "file:///c.bin", blob: "AAAA" } },
    ],
    structuredContent: { ok: true },
  });
  assertEquals(output.content.split("\n"), [
    "hello",
    "[image: image/png]",
    "[audio: audio/wav, not shown]",
    "[resource: a.txt file:///a.txt]",
    "inline b",
    "[resource: file:///c.bin (binary)]",
  ]);
  assertEquals(output.images, [{ mimeType: "image/png", base64: "iVBORw0KGgo=" }]);
  assertEquals(output.data, { ok: true });
  assertEquals(output.isError, undefined);
});

Deno.test("toToolOutput keeps errors, uses structured content for empty text, caps huge text", () => {
  assertEquals(toToolOutput({ content: [{ type: "text", text: "bad input" }], isError: true }), {
    content: "bad input",
    isError: true,
  });
  assertEquals(toToolOutput({ content: [], structuredContent: { sum: 5 } }).content, '{"sum":5}');
  assertEquals(toToolOutput({ toolResult: { legacy: 1 } }).content, '{"legacy":1}');
  const huge = toToolOutput({ content: [{ type: "text", text: "x".repeat(MAX_TEXT_CHARS + 10) }] });
  assertMatch(huge.content, /\[Truncated: showing 100000 of 100010 characters/);
});
