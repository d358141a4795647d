/** @module Small helpers every command shares: printing, failing with an exit code, parsing numbers. */

import { InvalidArgumentError } from "@commander-js/extra-typings";
import { isGatewayError } from "../core/errors.ts";

/** Prints `value` as indented JSON on stdout. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** Prints an error (with its protocol code when it has one) and exits non-zero. */
export function fail(error: unknown, exitCode = 1): never {
  if (isGatewayError(error)) {
    // A refused client should know how long to wait rather than retry into the same wall.
    const retryAfterMs = Number(error.details?.retryAfterMs);
    const wait = retryAfterMs > 0 ? ` (try again in ${Math.ceil(retryAfterMs / 1000)} s)` : "";
    console.error(`Error: ${error.code}: ${error.message}${wait}`);
  } else {
    console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
  }
  Deno.exit(exitCode);
}

/** Commander parser for a non-negative integer option. */
export function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidArgumentError(`Not a non-negative integer: ${value}`);
  }
  return n;
}

/** Commander parser for a port option. */
export function parsePort(value: string): number {
  const n = parseInteger(value);
  if (n > 65535) throw new InvalidArgumentError(`Not a port: ${value}`);
  return n;
}
