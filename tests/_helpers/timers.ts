/**
 * @module Counting the timers the project's own code arms while some work runs: a hot path
 * that arms one per request or turn creeps in unnoticed (issue 17), so tests count, not time.
 */

const root = new URL("../../", import.meta.url).href;

/** Where the project's own code (not tests, not libraries) armed a timer while `work` ran. */
export async function timersArmedDuring(work: () => Promise<unknown>): Promise<string[]> {
  const armed: string[] = [];
  const originals = { setTimeout, setInterval };
  const wrap = <F extends (...args: never[]) => unknown>(original: F, name: string): F =>
    function (this: unknown, ...args: Parameters<F>) {
      // The frame that called the timer function: the project's own files only.
      const caller = new Error().stack?.split("\n")[2] ?? "";
      const inProject = caller.includes(root) && !/\/(tests|node_modules)\//.test(caller);
      if (inProject) armed.push(`${name} ${caller.trim()}`);
      return original.apply(this, args);
    } as F;
  globalThis.setTimeout = wrap(originals.setTimeout, "setTimeout");
  globalThis.setInterval = wrap(originals.setInterval, "setInterval");
  try {
    await work();
  } finally {
    Object.assign(globalThis, originals);
  }
  return armed;
}
