/**
 * @module The skills a turn's system prompt lists come from a cached listing (issue 17), kept
 * true by watchers: a skill added, edited or removed after the first listing is seen without a
 * restart, including in a skills folder created after it, and in one whose workspace did not
 * exist yet.
 */

import { join } from "node:path";
import { assertEquals, waitFor } from "../../_helpers/assert.ts";
import { SkillCatalog } from "../../../tools/skills/skill_catalog.ts";

async function writeSkill(root: string, name: string, description: string) {
  await Deno.mkdir(join(root, name), { recursive: true });
  await Deno.writeTextFile(
    join(root, name, "SKILL.md"),
    `---\nname: ${name}\ndescription: ${description}\n---\nDo it.\n`,
  );
}

Deno.test("a cached skills listing lists no folder when warm and follows changes", async () => {
  const state = await Deno.makeTempDir();
  const workspace = join(state, "workspace");
  await Deno.mkdir(workspace);
  const catalog = new SkillCatalog(() => [], state);
  try {
    const names = async () =>
      (await catalog.listCached(workspace)).map((skill) => `${skill.name}: ${skill.description}`);
    assertEquals(await names(), []);
    // Warm: no folder is read.
    const readDir = Deno.readDir;
    let reads = 0;
    Deno.readDir = (path) => {
      reads++;
      return readDir(path);
    };
    try {
      assertEquals(await names(), []);
    } finally {
      Deno.readDir = readDir;
    }
    assertEquals(reads, 0);
    // The state dir's skills/ did not exist at the first listing.
    await writeSkill(join(state, "skills"), "shared", "one");
    await waitFor(async () => (await names()).join() === "shared: one", 20_000, "a new folder");
    await writeSkill(join(workspace, "skills"), "local", "two");
    await waitFor(async () => (await names()).length === 2, 20_000, "a workspace skill");
    await writeSkill(join(state, "skills"), "shared", "edited");
    await waitFor(
      async () => (await names()).includes("shared: edited"),
      20_000,
      "an edited SKILL.md",
    );
    await Deno.remove(join(workspace, "skills", "local"), { recursive: true });
    await waitFor(async () => (await names()).join() === "shared: edited", 20_000, "a removal");
  } finally {
    catalog.close();
    await Deno.remove(state, { recursive: true });
  }
});

Deno.test("a cached skills listing sees skills in a workspace made after it", async () => {
  // A workspace is made with its first file: the first turn lists skills before it exists.
  const state = await Deno.makeTempDir();
  const workspace = join(state, "agents", "writer", "workspace");
  const catalog = new SkillCatalog(() => [], state);
  try {
    const names = async () => (await catalog.listCached(workspace)).map((skill) => skill.name);
    assertEquals(await names(), []);
    await writeSkill(join(workspace, "skills"), "late", "made with the workspace");
    await waitFor(async () => (await names()).join() === "late", 20_000, "the new workspace");
    await writeSkill(join(workspace, "skills"), "later", "in the folder now watched");
    await waitFor(async () => (await names()).join() === "late,later", 20_000, "a second skill");
  } finally {
    catalog.close();
    await Deno.remove(state, { recursive: true });
  }
});
