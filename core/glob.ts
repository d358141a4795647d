/** @module The one glob dialect of pyclaw's config: bindings, tool allow/deny lists, exec allow patterns. */

/**
 * True when `value` matches `pattern` as a whole: `*` matches any run of characters (none
 * included), `?` exactly one, everything else is literal.
 */
export function globMatch(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(
    /\?/g,
    ".",
  );
  return new RegExp(`^${source}$`, "s").test(value);
}
