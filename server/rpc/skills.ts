/** @module `skills.list`: the skills an agent can load (`main` unless `agentId` says otherwise). */

import { agentSkills } from "../../agent/skills.ts";
import { defineMethods } from "../method_table.ts";

export const skillsMethods = defineMethods({
  "skills.list": {
    handler: async ({ agentId }, ctx) => {
      const skills = await agentSkills(
        ctx.services.skills,
        ctx.config(),
        ctx.gateway.paths,
        agentId,
      );
      return { skills, count: skills.length };
    },
  },
});
