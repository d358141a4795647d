/**
 * @module `pyclaw gateway [run]` read straight from the arguments, so that starting the server
 * never builds the command tree: commander and the options of every command cost about a third
 * of the gateway's start-up (issue 17). Anything else, a malformed option included, goes to the
 * command tree, which owns help, errors and exit codes.
 */

import type { RunOptions } from "./gateway_run.ts";

const VALUE_OPTIONS = {
  "--port": "port",
  "--bind": "bind",
  "--auth-token": "authToken",
} as const;

/**
 * The options of `pyclaw gateway` or `pyclaw gateway run` when `args` are exactly that command
 * and well-formed options of it (as commander would read them: `--port 1` or `--port=1`, the
 * last one wins); otherwise undefined.
 */
export function gatewayRunArgs(args: readonly string[]): RunOptions | undefined {
  if (args[0] !== "gateway") return undefined;
  let at = args[1] === "run" ? 2 : 1;
  const options: RunOptions = {};
  while (at < args.length) {
    const arg = args[at++];
    const eq = arg.indexOf("=");
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!Object.hasOwn(VALUE_OPTIONS, name)) return undefined;
    const value = eq > 0 ? arg.slice(eq + 1) : args[at++];
    if (value === undefined) return undefined;
    const key = VALUE_OPTIONS[name as keyof typeof VALUE_OPTIONS];
    if (key === "port") {
      const port = portNumber(value);
      if (port === undefined) return undefined;
      options.port = port;
    } else {
      options[key] = value;
    }
  }
  return options;
}

/** `value` as a port, or undefined; commander's `parsePort` (`cli/_output.ts`) applies it too. */
export function portNumber(value: string): number | undefined {
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 && n <= 65535 ? n : undefined;
}
