/**
 * @module `gateway run` processes for the start memo's tests (tests/cli/gateway_run_test.ts,
 * gateway_memo_trust_test.ts): start one and wait for its ready line, and read from its log how
 * each start came to listen and when it collected its start-up garbage (the idle-module and
 * start-up tests wait for that).
 */

import { join } from "node:path";
import { PYCLAW } from "./cli.ts";
import type { StartupGcReport } from "../../core/idle_gc.ts";

/**
 * How each start's gateway came to listen, oldest first, as its log says: by the start memo, or
 * by the config validated before it listened. The log is the one place that tells the two apart
 * (both listen on the same port and answer the same), so a memo that stopped being used, or
 * one used for an edited config, shows here.
 */
export async function listenedBy(stateDir: string): Promise<string[]> {
  const text = await Deno.readTextFile(join(stateDir, "logs", "pyclaw.log"));
  return text.split("\n").filter(Boolean).map((line) => JSON.parse(line))
    .filter((record) => record.msg === "config validated")
    .map((record) => record.listenedBy);
}

/**
 * The log records of each start's start-up collection on `stateDir` (core/idle_gc.ts), oldest
 * first; none while the log is not written yet. A gateway that has logged one is idle.
 */
export async function startupCollections(
  stateDir: string,
): Promise<(StartupGcReport & { trimmed?: boolean; rssTrimmed?: number })[]> {
  const text = await Deno.readTextFile(join(stateDir, "logs", "pyclaw.log")).catch(() => "");
  return text.split("\n").filter((line) => line.includes('"start-up garbage collected"'))
    .map((line) => JSON.parse(line));
}

/**
 * Starts `gateway run` and waits for its ready line, or its end; returns the URL (none if it
 * ended first) and a stop function that gives its exit code and what it wrote to stderr.
 */
export async function startGateway(stateDir: string, env: Record<string, string> = {}) {
  const child = new Deno.Command(PYCLAW, {
    args: ["gateway", "run"],
    env: { PYCLAW_STATE_DIR: stateDir, NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Read all along, so a full pipe never blocks the gateway; done when it exits.
  const stderr = new Response(child.stderr).text();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await lines.read();
    if (done) break;
    out += value;
  }
  lines.releaseLock();
  return {
    url: out.match(/ready: (ws:\/\/[^,\s]+)/)?.[1],
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch {
        // it has ended already
      }
      const { code } = await child.status;
      await child.stdout.cancel().catch(() => {});
      await stderr;
      return code;
    },
    /** Its exit code and stderr, once it has ended (stop it first if it may not). */
    async ended() {
      const { code } = await child.status;
      await child.stdout.cancel().catch(() => {});
      return { code, stderr: await stderr };
    },
  };
}
