/** @module Assertions for tests, on top of node:assert (JSR's @std/assert is not reachable here). */

import { strict as nodeAssert } from "node:assert";

export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(actual, pattern, message);
}

/** Awaits `fn`, asserts it rejects with an instance of `type`, and returns the error. */
export async function assertRejects<E extends Error = Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (error) {
    if (type && !(error instanceof type)) {
      throw new Error(
        `Expected ${type.name}, got ${(error as Error)?.name}: ${(error as Error)?.message}`,
      );
    }
    if (includes && !(error as Error).message.includes(includes)) {
      throw new Error(
        `Expected message to include "${includes}", got "${(error as Error).message}"`,
      );
    }
    return error as E;
  }
  throw new Error("Expected the function to reject");
}

/** Asserts `fn` throws synchronously and returns the error. */
export function assertThrows<E extends Error = Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type?: new (...args: any[]) => E,
): E {
  try {
    fn();
  } catch (error) {
    if (type && !(error instanceof type)) {
      throw new Error(`Expected ${type.name}, got ${(error as Error)?.name}`);
    }
    return error as E;
  }
  throw new Error("Expected the function to throw");
}

/**
 * Polls `check` until it returns a truthy value (which it resolves with) or `timeoutMs` passes.
 * A check that throws counts as not yet: state filled in after start (a list still empty, a
 * file not written yet) makes `list[0].field` throw at first, and CI once failed on exactly
 * that at the first poll. The last error is in the timeout's message. The timeout only bounds a
 * failure, so it is roomy: CI is a 2-core machine that runs the suite 3–5× slower when loaded.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 20_000,
  label = "condition",
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const last = lastError === undefined ? "" : ` (the check last threw: ${lastError})`;
      throw new Error(`Timed out waiting for ${label}${last}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Asserts that `list` comes back empty within `timeoutMs`, showing what it still held if not.
 * For processes just killed: a tool's kill returns once the group was signalled and its pipes
 * closed or a short grace passed, and on a loaded machine the kernel may not have ended every
 * member by then. The bound stays far below the sleeps such tests start, so a process that
 * outlived its kill still fails the test.
 */
export async function assertEmptySoon<T>(
  list: () => Promise<T[]>,
  label: string,
  timeoutMs = 10_000,
): Promise<void> {
  let last: T[] = [];
  try {
    await waitFor(async () => (last = await list()).length === 0, timeoutMs, label);
  } catch {
    assertEquals(last, [], `${label}: still there after ${timeoutMs} ms`);
  }
}
