/** @module Contract of `config.*`: read (secrets redacted), set one key, merge-patch. */

import { z } from "zod";
import { methods } from "../contract.ts";

/** What a write answers: `restartRequired` names settings a running listener cannot change. */
const written = z.object({ ok: z.boolean(), restartRequired: z.array(z.string()).optional() });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export const configContract = methods({
  "config.get": {
    summary: "The config, or one dotted key of it, with secrets redacted",
    params: z.object({ key: z.string().min(1).max(512).optional() }),
    // `value` is null when the key is declared but not set.
    result: z.object({ value: z.unknown() }),
  },
  "config.set": {
    summary: "Set one dotted key in the config file",
    params: z.object({ key: z.string().min(1).max(512), value: z.unknown() }),
    result: written,
  },
  "config.patch": {
    summary: "Merge-patch the config file",
    // Not z.record: it rebuilds the object, and assigning a parsed "__proto__" key there sets a
    // prototype instead, so the key would vanish unseen rather than be refused.
    params: z.object({
      patch: z.custom<Record<string, unknown>>(isPlainObject, "Expected an object")
        .describe("A JSON merge patch (an object)"),
    }),
    result: written,
  },
});
