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

/**
 * Imports `specifiers` (URLs, or package names) one after another, with a turn of the event
 * loop between them. Deno loads and evaluates a module graph in one block, during which nothing
 * else in the process runs, so a server that already listens answers nobody until the block
 * ends; a large graph imported in steps (leaves first, each step a part of the next) keeps that
 * wait to one step.
 */
export async function importInSteps(specifiers: readonly string[]): Promise<void> {
  for (const specifier of specifiers) {
    // A step only orders the loading: whatever imports the module for use reports a failure.
    await import(specifier).catch(() => {});
    await nextTurn();
  }
}

/**
 * Resolves after one turn of the event loop, in which pending requests are served (a resolved
 * promise or a finished file operation leaves them waiting). A timer does it; `setTimeout` is
 * not used because its first call loads Deno's Node timers (~12-30 ms measured), which would
 * land before the first answer.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) =>
    AbortSignal.timeout(0).addEventListener("abort", () => resolve(), { once: true })
  );
}
