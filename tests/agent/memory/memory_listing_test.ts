import { join } from "node:path";
import { assertEquals } from "../../_helpers/assert.ts";
import { MemoryListing } from "../../../agent/memory/_memory_listing.ts";
import type { FoundFile } from "../../../agent/memory/_sources.ts";

/** A workspace with a `memory/` folder holding `a.md`, its folders' times set to `time`. */
async function workspaceAt(time: Date) {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-listing-" });
  const memory = join(dir, "memory");
  await Deno.mkdir(memory);
  await Deno.writeTextFile(join(memory, "a.md"), "a\n");
  const setTimes = async () => {
    for (const folder of [dir, memory]) await Deno.utime(folder, time, time);
  };
  await setTimes();
  return {
    dir,
    memory,
    setTimes,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

const pathsOf = (files: FoundFile[]) => files.map((file) => file.path).sort();

Deno.test("memory listing is not reused when taken as its folder changed", async () => {
  // File times are coarse: a note made after the walk, in the same tick as a change before it,
  // leaves its folder's time as the walk saw it, and its watcher's event may not be in yet.
  for (const recent of [false, true]) {
    const time = new Date(recent ? Date.now() : Date.now() - 3_600_000);
    await using workspace = await workspaceAt(time);
    const listing = new MemoryListing();
    assertEquals(pathsOf(await listing.files(workspace.dir, true)), ["memory/a.md"]);
    await Deno.writeTextFile(join(workspace.memory, "b.md"), "b\n");
    await workspace.setTimes(); // the same tick
    // Taken long after the folder's change, the listing is reused: watchers report the rest.
    const expected = recent ? ["memory/a.md", "memory/b.md"] : ["memory/a.md"];
    assertEquals(pathsOf(await listing.files(workspace.dir, true)), expected, `recent ${recent}`);
  }
});

Deno.test("memory listing walks again when a change is reported while its folders are stat'ed", async () => {
  await using workspace = await workspaceAt(new Date(Date.now() - 3_600_000));
  const listing = new MemoryListing();
  await listing.files(workspace.dir, true);
  // An edit in place moves no folder's time: only the watcher's event tells of it.
  await Deno.writeTextFile(join(workspace.memory, "a.md"), "a longer line\n");
  assertEquals((await listing.files(workspace.dir, true))[0].size, 2); // reused
  const looking = listing.files(workspace.dir, true);
  listing.markChanged(); // the event arrives while the look stats the folders
  assertEquals((await looking)[0].size, 14);
});
