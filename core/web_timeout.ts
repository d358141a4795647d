/**
 * @module A timer for what runs while the gateway idles, that does not load Deno's Node timers.
 * Deno's global `setTimeout` and `clearTimeout` are Node's: the first call of either loads ~20
 * of Deno's Node modules (their errors, validators and inspect: ~1-2 MB of an idle gateway's
 * resident memory, issue 17, and 12-30 ms measured). `AbortSignal.timeout` runs on Deno's own
 * web timers, which are loaded anyway. A request's timers may use `setTimeout`: by then the
 * process serves, and it is the idle figure that this keeps near the floor.
 */

/**
 * Calls `fn` once after `ms` milliseconds. While armed the timer keeps the process alive, as
 * `setTimeout`'s does; once cancelled, it neither calls `fn` nor keeps the process alive.
 * Returns the function that cancels it.
 */
export function webTimeout(fn: () => void, ms: number): () => void {
  const signal = AbortSignal.timeout(Math.max(0, ms));
  const fire = () => fn();
  // A timeout signal holds the process only while it has a listener (Deno's AbortSignal).
  signal.addEventListener("abort", fire, { once: true });
  return () => signal.removeEventListener("abort", fire);
}
