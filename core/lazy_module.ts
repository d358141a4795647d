/**
 * @module Imports one of the program's own modules when it is first needed, out of the module
 * graph Deno builds at start. Deno walks every `import("./literal.ts")` it can read before the
 * program runs (parsing each module, and transpiling it on an empty cache) whether or not it
 * is ever imported, so a literal lazy import still costs start-up time; a URL built at run time
 * is not walked. A compiled binary must `--include` each module imported this way
 * (`scripts/compile.sh`); `tests/scripts/startup_graph_test.ts` checks that it does.
 */

/**
 * Imports `url` (build it with `new URL("./x.ts", import.meta.url)`), typed by the caller:
 * `importLazily<typeof import("./x.ts")>(...)`.
 *
 * @example
 * ```ts
 * const { METHOD_TABLES } = await importLazily<typeof import("./rpc_tables.ts")>(
 *   new URL("./rpc_tables.ts", import.meta.url),
 * );
 * ```
 */
export function importLazily<T>(url: URL): Promise<T> {
  return import(url.href) as Promise<T>;
}

/**
 * Runs `load` when first awaited and shares its promise with every later caller. A failed load
 * is forgotten, so the next call tries again: one failed import does not break a method
 * family, the tools or a route for the life of the process.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    loading ??= load().catch((error) => {
      loading = undefined;
      throw error;
    });
}
