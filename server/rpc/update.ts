/** @module `update.check`: is a newer version published? Answers within its timeout, offline too. */

import { checkForUpdate } from "../../core/update_check.ts";
import { defineMethods } from "../method_table.ts";

export const updateMethods = defineMethods({
  "update.check": {
    handler: (_params, ctx) => {
      const update = ctx.config().update;
      return checkForUpdate({
        enabled: update.enabled,
        registry: update.registry,
        packageName: update.packageName,
        timeoutMs: update.timeoutMs,
        signal: ctx.signal,
      });
    },
  },
});
