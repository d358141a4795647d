/** @module `plan.*`: list, inspect, resume and delete the plans agents wrote with the `plan` tool. */

import { defineMethods } from "../method_table.ts";

export const planMethods = defineMethods({
  "plan.list": {
    handler: async (_params, ctx) => {
      const plans = await ctx.services.plans.list();
      return { plans, count: plans.length };
    },
  },
  "plan.get": {
    handler: ({ planId }, ctx) => ctx.services.plans.get(planId),
  },
  "plan.resume": {
    handler: async ({ planId }, ctx) => {
      // The client that resumes a plan sees its run, as if it had sent the message itself.
      const plan = await ctx.services.plans.get(planId);
      ctx.watchSession(plan.agentId, plan.sessionId);
      return await ctx.services.plans.resume(planId);
    },
  },
  "plan.delete": {
    handler: ({ planId }, ctx) => ctx.services.plans.delete(planId),
  },
});
