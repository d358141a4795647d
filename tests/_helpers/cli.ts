/**
 * @module Runs the real `scripts/pyclaw` launcher as a user would type it: its own state dir,
 * optional stdin, and the exit code, stdout and stderr to assert on.
 */

import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;

/** The launcher, `scripts/pyclaw`. */
export const PYCLAW = join(root, "scripts", "pyclaw");

/** Options for {@linkcode runPyclaw}. */
export interface RunPyclawOptions {
  /** `PYCLAW_STATE_DIR`. */
  stateDir: string;
  /** Extra environment; `NO_COLOR=1` is set unless this sets `NO_COLOR` to "". */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed; stdin is empty otherwise. */
  stdin?: string;
}

/** What one run printed and how it ended. */
export interface PyclawResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `pyclaw ...args` to completion. */
export async function runPyclaw(args: string[], options: RunPyclawOptions): Promise<PyclawResult> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/tmp",
    PYCLAW_STATE_DIR: options.stateDir,
    NO_COLOR: "1",
    ...options.env,
  };
  if (env.NO_COLOR === "") delete env.NO_COLOR;
  const child = new Deno.Command(PYCLAW, {
    args,
    env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  if (options.stdin !== undefined) await writer.write(new TextEncoder().encode(options.stdin));
  await writer.close();
  const output = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}
