import { z } from "zod";
import { ToolRegistry } from "../../tools/registry.ts";
import { defineTool } from "../../tools/tool.ts";
import { assertEquals, assertRejects } from "../_helpers/assert.ts";

const echo = defineTool({
  name: "echo",
  description: "Echoes",
  parameters: z.object({ text: z.string() }),
  run: ({ text }) => Promise.resolve(text),
});

Deno.test("tool registry loads lazily given built-ins once, on ready(), and refuses to list before", async () => {
  let loads = 0;
  const registry = new ToolRegistry(() => {
    loads++;
    return Promise.resolve([echo]);
  });
  assertEquals(loads, 0);
  let refused = false;
  try {
    registry.list();
  } catch {
    refused = true;
  }
  assertEquals(refused, true);
  await Promise.all([registry.ready(), registry.ready()]);
  await registry.ready();
  assertEquals(loads, 1);
  assertEquals(registry.list().map((tool) => tool.name), ["echo"]);
  assertEquals(registry.get("echo"), echo);
});

Deno.test("tool registry tries a failed load again on the next ready()", async () => {
  let loads = 0;
  const registry = new ToolRegistry(() =>
    ++loads === 1 ? Promise.reject(new Error("disk hiccup")) : Promise.resolve([echo])
  );
  await assertRejects(() => registry.ready(), Error, "disk hiccup");
  await registry.ready();
  assertEquals(registry.list().length, 1);
});
