/** @module Small helpers every command shares: printing, failing with an exit code, parsing numbers. */

import { InvalidArgumentError } from "@commander-js/extra-typings";
import { isGatewayError } from "../core/errors.ts";
import { portNumber } from "./gateway_run_args.ts";

/** Prints `value` as indented JSON on stdout. */
export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/**
 * Prints an error (with its protocol code when it has one) and exits non-zero. With
 * `PYCLAW_DEBUG=1` the stack trace comes first, for a report of what went wrong where.
 */
export function fail(error: unknown, exitCode = 1): never {
  if (Deno.env.get("PYCLAW_DEBUG") === "1" && error instanceof Error && error.stack) {
    console.error(error.stack);
  }
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

/**
 * Commander parser for an integer option within `min`..`max`, so a value the command's method
 * would refuse is a usage error (exit 2) here rather than a failure after connecting.
 */
export function integerIn(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min} to ${max}`;
      throw new InvalidArgumentError(`Not an integer ${range}: ${value}`);
    }
    return n;
  };
}

/** Commander parser for a port option: `portNumber`'s rule, which `gateway run`'s short path uses. */
export function parsePort(value: string): number {
  const port = portNumber(value);
  if (port !== undefined) return port;
  parseInteger(value); // throws its own message for what is not a non-negative integer
  throw new InvalidArgumentError(`Not a port: ${value}`);
}
