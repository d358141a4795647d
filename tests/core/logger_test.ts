/** @module The logger's record shape for errors, its console line, and reading a log's tail back. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { Logger, readLastLines } from "../../core/logger.ts";
import { REDACTED } from "../../core/config/secrets.ts";

Deno.test("Logger writes an Error's name, message, stack and cause; secret fields stay redacted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-logger-" });
  const file = join(dir, "pyclaw.log");
  const logger = new Logger({ file, level: "debug", consoleLevel: "silent" });
  try {
    const error = Object.assign(new TypeError("boom: cannot read model"), {
      apiKey: "sk-live-secret",
    });
    (error as Error).cause = new Error("socket hang up");
    logger.error("handler failed", { method: "chat.send", error, apiKey: "sk-other-secret" });
    logger.warn("nested", { details: { error: new RangeError("too far") } });
    const [first, second] = (await readLastLines(file, 2)).map((line) => JSON.parse(line));
    assertEquals(first.error.name, "TypeError");
    assertEquals(first.error.message, "boom: cannot read model");
    assert(String(first.error.stack).includes("boom: cannot read model"), first.error.stack);
    assertEquals(first.error.cause.message, "socket hang up");
    assertEquals(first.error.apiKey, REDACTED);
    assertEquals(first.apiKey, REDACTED);
    assertEquals(second.details.error.message, "too far");
    const text = await Deno.readTextFile(file);
    assert(!text.includes("sk-live-secret") && !text.includes("sk-other-secret"), text);
  } finally {
    logger.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readLastLines keeps multi-byte characters whole across its 64 KiB read chunks", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-logger-" });
  const file = join(dir, "pyclaw.log");
  try {
    // Lines of 3-byte and 4-byte characters, at every alignment against the chunk edges.
    const lines = Array.from({ length: 3_000 }, (_, i) => `${i} ${"日本語🦀".repeat(1 + (i % 7))}`);
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    for (const limit of [1, 500, 2_999, 3_000, 5_000]) {
      const tail = await readLastLines(file, limit);
      assertEquals(tail, lines.slice(-limit));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the console line leaves out a field whose value is undefined", () => {
  const lines: string[] = [];
  const original = console.error;
  console.error = (line: string) => lines.push(line);
  try {
    new Logger({ consoleLevel: "info" }).info("gateway listening", {
      url: "ws://127.0.0.1:1",
      httpUrl: undefined,
    });
  } finally {
    console.error = original;
  }
  assertEquals(lines.length, 1);
  assertMatch(lines[0], /INFO {2}gateway listening url=ws:\/\/127\.0\.0\.1:1$/);
});
