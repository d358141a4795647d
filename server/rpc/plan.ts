/** @module `plan.*`: list, inspect, resume and delete the plans agents wrote with the `plan` tool. */

import { z } from "zod";
import { defineMethods } from "../method_table.ts";

const planId = z.object({ planId: z.string().min(1).max(128) });

export const planMethods = defineMethods({
  "plan.list": {
    params: z.object({}),
    handler: async (_params, ctx) => {
      const plans = await ctx.services.plans.list();
      return { plans, count: plans.length };
    },
  },
  "plan.get": {
    params: planId,
    handler: ({ planId }, ctx) => ctx.services.plans.get(planId),
  },
  "plan.resume": {
    params: planId,
    handler: async ({ planId }, ctx) => {
      // The client that resumes a plan sees its run, as if it had sent the message itself.
      const plan = await ctx.services.plans.get(planId);
      ctx.watchSession(plan.agentId, plan.sessionId);
      return await ctx.services.plans.resume(planId);
    },
  },
  "plan.delete": {
    params: planId,
    handler: ({ planId }, ctx) => ctx.services.plans.delete(planId),
  },
});
