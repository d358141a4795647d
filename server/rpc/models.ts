/**
 * @module `models.*`: the models of every configured provider (config entries plus each
 * provider's own list, cached) and a real one-token probe of one model.
 */

import { z } from "zod";
import { defineMethods } from "../method_table.ts";

export const modelsMethods = defineMethods({
  "models.list": {
    params: z.object({ refresh: z.boolean().optional() }).passthrough(),
    handler: async ({ refresh }, ctx) =>
      await ctx.services.providers.listModels({ refresh: refresh === true }),
  },
  "models.probe": {
    params: z.object({
      model: z.string().min(1).max(256),
      provider: z.string().min(1).max(128).optional(),
      timeoutMs: z.number().int().positive().max(120_000).optional(),
    }),
    handler: async ({ model, provider, timeoutMs }, ctx) =>
      await ctx.services.providers.probe(model, provider, timeoutMs),
  },
});
