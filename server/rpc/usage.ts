/** @module `usage.get`: tokens and estimated cost over the last N days. */

import { defineMethods } from "../method_table.ts";

export const usageMethods = defineMethods({
  "usage.get": {
    handler: ({ days }, ctx) => ctx.services.usage.summary(days),
  },
});
