/** @module `skills.list`: the skills an agent can load (`main` unless `agentId` says otherwise). */

import { z } from "zod";
import { agentSkills } from "../../agent/skills.ts";
import { defineMethods } from "../method_table.ts";

export const skillsMethods = defineMethods({
  "skills.list": {
    params: z.object({ agentId: z.string().min(1).max(64).optional() }),
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
