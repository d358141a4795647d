/**
 * @module The rule for agent and session ids that are safe as file names: the session store's, and
 * the CLI's for a SESSION argument, which checks it before anything connects.
 */

const ID = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,127}$/;

/**
 * Whether `id` is an agent or session id that is safe as a file name: 1-128 characters of
 * letters, digits and `_ . : -`, not starting with one of `. : -`, and without `..`.
 *
 * @example
 * ```ts
 * isValidSessionId("chat-2024.1"); // true
 * isValidSessionId("bad id"); // false
 * ```
 */
export function isValidSessionId(id: string): boolean {
  return ID.test(id) && !id.includes("..");
}
