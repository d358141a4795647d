/** @module What `chat.tool_result` carries of a tool's text: all of it, or a capped part with a marker. */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { EVENT_OUTPUT_MAX_CHARS, eventOutput } from "../../agent/run.ts";

Deno.test("eventOutput passes short text whole and caps long text with a marker", () => {
  assertEquals(eventOutput("page text", 0), "page text");
  assertEquals(eventOutput("shot", 1), "shot\n[1 image sent to the model]");
  const long = "x".repeat(EVENT_OUTPUT_MAX_CHARS + 500);
  const capped = eventOutput(long, 0);
  assert(
    capped.startsWith("x".repeat(EVENT_OUTPUT_MAX_CHARS) + "\n[… 500 more characters"),
    capped.slice(-120),
  );
  assert(capped.endsWith(`the model read all ${long.length}]`), capped.slice(-120));
});
