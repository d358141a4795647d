/** @module `config.*`: read (secrets redacted), set one key, or merge-patch the config file. */

import { z } from "zod";
import { isPlainObject } from "../../core/config/key_path.ts";
import type { Config } from "../../core/config/schema.ts";
import { defineMethods } from "../method_table.ts";

export const configMethods = defineMethods({
  "config.get": {
    params: z.object({ key: z.string().min(1).max(512).optional() }),
    handler: ({ key }, ctx) => ({ value: ctx.configStore.get(key) }),
  },
  "config.set": {
    params: z.object({ key: z.string().min(1).max(512), value: z.unknown() }),
    handler: async ({ key, value }, ctx) => {
      const before = ctx.config();
      await ctx.configStore.set(key, value);
      ctx.logger.info("config changed", { key, connId: ctx.connId });
      return { ok: true, ...restartNote(before, ctx.config()) };
    },
  },
  "config.patch": {
    // Not z.record: it rebuilds the object, and assigning a parsed "__proto__" key there sets a
    // prototype instead, so the key would vanish unseen rather than be refused.
    params: z.object({
      patch: z.custom<Record<string, unknown>>(isPlainObject, "Expected an object"),
    }),
    handler: async ({ patch }, ctx) => {
      const before = ctx.config();
      await ctx.configStore.patch(patch);
      ctx.logger.info("config patched", { keys: Object.keys(patch), connId: ctx.connId });
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
