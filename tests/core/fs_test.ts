/** @module core/fs.ts's inBatches: many file-system calls, a batch at a time, in order. */

import { assertEquals } from "../_helpers/assert.ts";
import { inBatches } from "../../core/fs.ts";

Deno.test("inBatches runs at most a batch at once and keeps the items' order", async () => {
  let running = 0;
  let most = 0;
  const results = await inBatches(Array.from({ length: 10 }, (_, i) => i), async (item) => {
    most = Math.max(most, ++running);
    // Later items finish first within a batch: the order comes from the items, not the finish.
    await new Promise((resolve) => setTimeout(resolve, 10 - item));
    running--;
    return item * 2;
  }, 4);
  assertEquals(results, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
  assertEquals(most, 4);
  assertEquals(await inBatches([], () => Promise.resolve(1)), []);
});

Deno.test("inBatches lists thousands of files' sizes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const names = Array.from({ length: 300 }, (_, i) => `f-${i}.txt`);
    for (const [i, name] of names.entries()) {
      await Deno.writeTextFile(`${dir}/${name}`, "x".repeat(i));
    }
    const sizes = await inBatches(names, async (name) => (await Deno.stat(`${dir}/${name}`)).size);
    assertEquals(sizes, names.map((_, i) => i));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
