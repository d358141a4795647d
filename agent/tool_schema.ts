/**
 * @module The JSON Schema a model sees for a built-in tool, kept small: every token of it is
 * paid on every request, and a 4k-context local model has few to spare. Keywords that only
 * validate (lengths, ranges, patterns, `additionalProperties`) are left out, since zod checks
 * the arguments anyway and its error tells the model what to fix. For a small context window
 * ("lean"), the parameters' descriptions go too (and the run loop keeps only the first sentence
 * of each tool's description): names, types, enums and `required` remain.
 */

/** Keywords a model does not need to call a tool right. */
const VALIDATION_ONLY = new Set([
  "additionalProperties",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "minItems",
  "maxItems",
  "pattern",
  "format",
  "default",
  "$schema",
]);

/** Models whose window is at most this get lean schemas. */
export const LEAN_SCHEMA_WINDOW = 8_192;

/** A copy of `schema` without validation-only keywords (and descriptions, when `lean`). */
export function compactSchema(schema: unknown, lean: boolean): unknown {
  if (Array.isArray(schema)) return schema.map((item) => compactSchema(item, lean));
  if (!schema || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (VALIDATION_ONLY.has(key) || (lean && key === "description")) continue;
    if (key === "properties" && value && typeof value === "object") {
      // Property names are data, not keywords: a parameter may well be called `pattern`.
      out[key] = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, compactSchema(sub, lean)]),
      );
    } else {
      out[key] = compactSchema(value, lean);
    }
  }
  return out;
}
