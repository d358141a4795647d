/** @module `usage.get`: tokens and estimated cost over the last N days. */

import { z } from "zod";
import { defineMethods } from "../method_table.ts";

export const usageMethods = defineMethods({
  "usage.get": {
    params: z.object({ days: z.number().int().min(1).max(3650).default(30) }),
    handler: ({ days }, ctx) => ctx.services.usage.summary(days),
  },
});
