import { assertEquals } from "../../_helpers/assert.ts";
import { textSegments } from "../../../ui/chat/text_segments.ts";

Deno.test("textSegments finds fenced blocks and inline code, leaving the rest as text", () => {
  assertEquals(textSegments("Run `ls -la` then:\n```sh\necho <b>hi</b>\n```\nDone"), [
    { kind: "text", text: "Run " },
    { kind: "code", text: "ls -la" },
    { kind: "text", text: " then:\n" },
    { kind: "block", language: "sh", text: "echo <b>hi</b>" },
    { kind: "text", text: "Done" },
  ]);
});

Deno.test("textSegments runs a fence still being streamed to the end", () => {
  assertEquals(textSegments("Here:\n```py\nprint(1)"), [
    { kind: "text", text: "Here:\n" },
    { kind: "block", language: "py", text: "print(1)" },
  ]);
  assertEquals(textSegments("no code"), [{ kind: "text", text: "no code" }]);
  assertEquals(textSegments("```\nx\n```\n\n"), [{ kind: "block", language: "", text: "x" }]);
  assertEquals(textSegments(""), []);
});
