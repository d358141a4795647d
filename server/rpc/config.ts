/** @module `config.*`: read (secrets redacted), set one key, or merge-patch the config file. */

import type { Config } from "../../core/config/schema.ts";
import { defineMethods } from "../method_table.ts";

export const configMethods = defineMethods({
  "config.get": {
    // A key the schema declares but the config leaves unset is `null`: the spec's `{ value }`
    // always has its field, and JSON has no undefined.
    handler: async ({ key }, ctx) => ({ value: (await ctx.configStore.get(key)) ?? null }),
  },
  "config.set": {
    handler: async ({ key, value }, ctx) => {
      const before = ctx.config();
      if (await ctx.configStore.set(key, value)) {
        ctx.logger.info("config changed", { key, connId: ctx.connId });
      }
      return { ok: true, ...restartNote(before, ctx.config()) };
    },
  },
  "config.patch": {
    handler: async ({ patch }, ctx) => {
      const before = ctx.config();
      if (await ctx.configStore.patch(patch)) {
        ctx.logger.info("config patched", { keys: Object.keys(patch), connId: ctx.connId });
      }
      return { ok: true, ...restartNote(before, ctx.config()) };
    },
  },
});

/** Port, bind and auth cannot change under a running listener; say so instead of pretending. */
function restartNote(before: Config, after: Config): { restartRequired?: string[] } {
  const pending = (["port", "bind", "auth"] as const)
    .filter((key) => JSON.stringify(before.gateway[key]) !== JSON.stringify(after.gateway[key]))
    .map((key) => `gateway.${key}`);
  return pending.length ? { restartRequired: pending } : {};
}
