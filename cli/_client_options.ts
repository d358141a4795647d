/**
 * @module The options every gateway-or-local command takes, added in one place so they read
 * the same everywhere: where the gateway is, how to log in, and `--local` to skip it.
 */

import type { Command, OptionValues } from "@commander-js/extra-typings";
import { parseInteger } from "./_output.ts";

/** Adds `--url --token --password --timeout` (milliseconds, `timeoutMs` by default) to `command`. */
export function withConnectionOptions<
  // deno-lint-ignore no-explicit-any
  A extends any[],
  O extends OptionValues,
  G extends OptionValues,
>(
  command: Command<A, O, G>,
  timeoutMs: number,
  timeoutHelp = "time limit in milliseconds",
) {
  return command
    .option(
      "--url <url>",
      "gateway WebSocket URL (default: PYCLAW_GATEWAY_URL, else the running gateway of the state dir, else ws://127.0.0.1:<gateway.port>)",
    )
    .option("--token <token>", "auth token")
    .option("--password <password>", "auth password")
    .option("--timeout <ms>", timeoutHelp, parseInteger, timeoutMs);
}

/** Adds `--url --token --password --timeout --local` to `command`. */
// deno-lint-ignore no-explicit-any
export function withClientOptions<A extends any[], O extends OptionValues, G extends OptionValues>(
  command: Command<A, O, G>,
) {
  return withConnectionOptions(command, 10_000)
    .option("--local", "work on the local state dir even when a gateway answers");
}
