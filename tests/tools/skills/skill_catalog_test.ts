import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { toolContext } from "../../_helpers/tool_context.ts";
import {
  parseSkillFile,
  SkillCatalog,
  skillsPromptSection,
} from "../../../tools/skills/skill_catalog.ts";
import { readSkillTool } from "../../../tools/skills/read_skill.ts";

async function writeSkill(root: string, folder: string, text: string): Promise<void> {
  await Deno.mkdir(join(root, folder), { recursive: true });
  await Deno.writeTextFile(join(root, folder, "SKILL.md"), text);
}

Deno.test("parseSkillFile reads YAML front matter and keeps the body", async () => {
  const parsed = await parseSkillFile(
    '---\nname: pdf-report\ndescription: "Build a report: charts, tables"\nmetadata: {a: 1}\n---\n# Steps\nDo it.\n',
  );
  assertEquals(parsed.name, "pdf-report");
  assertEquals(parsed.description, "Build a report: charts, tables");
  assertEquals(parsed.body, "# Steps\nDo it.\n");
  const folded = await parseSkillFile("---\nname: x\ndescription: >\n  two\n  lines\n---\nbody");
  assertEquals(folded.description, "two lines");
  assertEquals((await parseSkillFile("# No front matter")).name, undefined);
});

Deno.test("SkillCatalog lists workspace, config and state skills; the workspace wins a name clash", async () => {
  const state = await Deno.makeTempDir({ prefix: "pyclaw-skills-" });
  try {
    const workspace = join(state, "ws");
    await writeSkill(
      join(state, "skills"),
      "greet",
      "---\nname: greet\ndescription: Shared greeting\n---\nSay hello.",
    );
    await writeSkill(join(state, "skills"), "notes", "# Take notes\nWrite them down.");
    await writeSkill(
      join(state, "extra"),
      "deploy",
      "---\nname: deploy\ndescription: Ship it\n---\nRun the deploy.",
    );
    await writeSkill(
      join(workspace, "skills"),
      "greet-local",
      "---\nname: greet\ndescription: Local greeting\n---\nSay hi.",
    );
    await Deno.mkdir(join(state, "skills", "empty-folder"));
    await Deno.writeTextFile(join(state, "skills", "stray.md"), "not a skill");
    const catalog = new SkillCatalog(() => ["extra", join(state, "missing")], state);

    const skills = await catalog.list(workspace);
    assertEquals(skills.map((s) => [s.name, s.source, s.description]), [
      ["deploy", "config", "Ship it"],
      ["greet", "workspace", "Local greeting"],
      ["notes", "state", "Take notes"],
    ]);
    assertEquals(skills[1].file, join(workspace, "skills", "greet-local", "SKILL.md"));
    // Without a workspace the shared skill shows.
    assertEquals(
      (await catalog.list()).find((s) => s.name === "greet")?.description,
      "Shared greeting",
    );
    assertEquals((await catalog.read("deploy"))?.body, "Run the deploy.");
    assertEquals(await catalog.read("nope"), undefined);

    const prompt = skillsPromptSection(skills);
    assertMatch(prompt, /read_skill/);
    assertMatch(prompt, /- deploy: Ship it/);
    assertEquals(skillsPromptSection([]), "");
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});

Deno.test("read_skill returns a skill's instructions, and names the skills for an unknown one", async () => {
  const state = await Deno.makeTempDir({ prefix: "pyclaw-skills-" });
  try {
    await writeSkill(
      join(state, "skills"),
      "csv",
      "---\nname: csv-clean\ndescription: Clean CSV files\n---\nTrim every cell.",
    );
    await using tc = await toolContext({ services: { skills: new SkillCatalog(() => [], state) } });
    const found = await tc.call(readSkillTool, { name: "csv-clean" });
    assertEquals(found.isError, undefined);
    assertMatch(found.content, /# Skill: csv-clean/);
    assertMatch(found.content, /Trim every cell\./);
    const missing = await tc.call(readSkillTool, { name: "nope" });
    assert(missing.isError);
    assertMatch(missing.content, /No skill named "nope"\. Available: csv-clean/);
  } finally {
    await Deno.remove(state, { recursive: true });
  }
});
