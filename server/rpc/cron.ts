/** @module `cron.*`: scheduled agent turns (add, list, remove) and their run history. */

import { defineMethods } from "../method_table.ts";

export const cronMethods = defineMethods({
  "cron.list": {
    handler: (_params, ctx) => ctx.services.cron.list(),
  },
  "cron.add": {
    handler: async (params, ctx) => {
      const job = await ctx.services.cron.add({
        ...params,
        createdBy: { via: "rpc", client: ctx.client.clientName },
      });
      ctx.logger.info("cron job added", { jobId: job.id, cron: job.cron, connId: ctx.connId });
      return { id: job.id, cron: job.cron, sessionId: job.sessionId, nextRunAt: job.nextRunAt };
    },
  },
  "cron.remove": {
    handler: async ({ id }, ctx) => {
      await ctx.services.cron.remove(id);
      ctx.logger.info("cron job removed", { jobId: id, connId: ctx.connId });
      return { ok: true };
    },
  },
  "cron.history": {
    handler: async ({ jobId, limit }, ctx) => {
      const records = await ctx.services.cron.history({ jobId, limit });
      return { records, count: records.length };
    },
  },
});
