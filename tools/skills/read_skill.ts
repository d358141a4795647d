/**
 * @module The `read_skill` tool: the system prompt lists each skill's name and description; the
 * agent loads a skill's full instructions with this tool when a task needs them.
 */

import { z } from "zod";
import { defineTool } from "../tool.ts";

export const readSkillTool = defineTool({
  name: "read_skill",
  group: "group:agent",
  description: "Load the full instructions of a skill by name (the skills available are listed " +
    "in the system prompt). Read a skill before doing a task it covers.",
  parameters: z.object({ name: z.string().min(1).max(200).describe("The skill's name") }),
  run: async ({ name }, ctx) => {
    const catalog = ctx.services.skills;
    if (!catalog) return { content: "Skills are not available here", isError: true };
    const found = await catalog.read(name, ctx.workspaceDir);
    if (!found) {
      const known = (await catalog.list(ctx.workspaceDir)).map((skill) => skill.name);
      return {
        content: `No skill named "${name}". Available: ${known.join(", ") || "none"}`,
        isError: true,
      };
    }
    return {
      content: `# Skill: ${found.skill.name}\n(folder: ${found.skill.dir})\n\n${found.body}`,
      data: {
        name: found.skill.name,
        dir: found.skill.dir,
        source: found.skill.source,
        instructions: found.body,
      },
    };
  },
});
