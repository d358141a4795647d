/**
 * @module The command line of an MCP stdio server with `sandbox` on: the same bubblewrap
 * confinement as agent commands (system folders read-only, state dir and home hidden, private
 * `/tmp` and `/proc`), with the server's own folder readable and the network kept unless said.
 */

import { resolve } from "../../core/path.ts";
import type { StdioServerConfig } from "../mcp/server_config.ts";
import { bwrapArgs, type PathKind } from "./bwrap_args.ts";
import { probeBwrap } from "./command_sandbox.ts";

/**
 * `[program, args]` that start `server` inside bubblewrap.
 *
 * @throws {Error} when bubblewrap does not work here (the server is not started unconfined)
 */
export async function sandboxedServer(
  server: StdioServerConfig,
  hidden: readonly string[],
): Promise<readonly [string, string[]]> {
  const { availability, layout } = await probeBwrap();
  if (!availability.available) {
    throw new Error(
      `sandbox is on, but ${availability.reason}`,
    );
  }
  const settings = typeof server.sandbox === "object"
    ? server.sandbox
    : { network: true, readable: [], writable: [] };
  const cwd = resolve(server.cwd ?? Deno.cwd());
  const kind: PathKind = (path) => layout.get(path);
  const args = bwrapArgs({
    readOnly: [cwd, ...settings.readable.map((path) => resolve(cwd, path))],
    writable: settings.writable.map((path) => resolve(cwd, path)),
    cwd,
    hidden,
    network: settings.network,
  }, kind);
  // HOME is hidden; a private one in the sandbox's /tmp keeps servers that write caches working.
  return ["bwrap", ["--setenv", "HOME", "/tmp", ...args, server.command, ...server.args]];
}
