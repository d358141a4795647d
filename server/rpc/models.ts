/**
 * @module `models.*`: the models of every configured provider (config entries plus each
 * provider's own list, cached) and a real one-token probe of one model.
 */

import { defineMethods } from "../method_table.ts";

export const modelsMethods = defineMethods({
  "models.list": {
    handler: async ({ refresh }, ctx) =>
      await ctx.services.providers.listModels({ refresh: refresh === true }),
  },
  "models.probe": {
    handler: async ({ model, provider, timeoutMs }, ctx) =>
      await ctx.services.providers.probe(model, provider, timeoutMs),
  },
});
