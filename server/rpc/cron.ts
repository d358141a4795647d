/** @module `cron.*`: scheduled agent turns (add, list, remove) and their run history. */

import { z } from "zod";
import { defineMethods } from "../method_table.ts";

export const cronMethods = defineMethods({
  "cron.list": {
    params: z.object({}).passthrough(),
    handler: (_params, ctx) => ctx.services.cron.list(),
  },
  "cron.add": {
    params: z.object({
      cron: z.string().trim().min(1).max(200),
      message: z.string().trim().min(1).max(20_000),
      agentId: z.string().min(1).max(64).optional(),
      timezone: z.string().min(1).max(64).optional(),
    }),
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
    params: z.object({ id: z.string().min(1).max(64) }),
    handler: async ({ id }, ctx) => {
      await ctx.services.cron.remove(id);
      ctx.logger.info("cron job removed", { jobId: id, connId: ctx.connId });
      return { ok: true };
    },
  },
  "cron.history": {
    params: z.object({
      jobId: z.string().min(1).max(64).optional(),
      limit: z.number().int().positive().max(1_000).default(50),
    }),
    handler: async ({ jobId, limit }, ctx) => {
      const records = await ctx.services.cron.history({ jobId, limit });
      return { records, count: records.length };
    },
  },
});
