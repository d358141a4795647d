/**
 * @module `exec`: runs a shell command in the workspace with a timeout, an output cap and a
 * process-group kill, after the approval policy (`command_policy.ts`) allows it; `background`
 * hands the command to the `process` tool's manager instead.
 */

import { z } from "zod";
import { runShellCommand, type ShellRunResult } from "./_process_tree.ts";
import { authorizeCommand, commandDir, commandLaunch } from "./command_policy.ts";
import { startBackground } from "./process/process_tool.ts";
import { defineTool, type ToolOutput } from "./tool.ts";

const parameters = z.strictObject({
  command: z.string().min(1).max(100_000).describe("Shell command (sh -c; cmd on Windows)"),
  cwd: z.string().optional().describe("Working folder, relative to the workspace"),
  timeoutMs: z.number().int().positive().optional()
    .describe("Kill it after this long (capped by tools.exec.timeoutMs)"),
  background: z.boolean().optional().describe("Run in the background; see process"),
});

export const execTool = defineTool({
  name: "exec",
  group: "group:exec",
  description: "Run a shell command in the workspace; returns exit code and output. " +
    "May need the user's approval.",
  parameters,
  async run({ command, cwd, timeoutMs, background }, ctx) {
    if (background) {
      const processes = ctx.services.processes;
      if (!processes) throw new Error("Background processes are not available here");
      return await startBackground(processes, command, cwd, ctx);
    }
    const policy = ctx.config().tools.exec;
    const dir = await commandDir(ctx, cwd);
    const refusal = await authorizeCommand(command, dir, ctx);
    if (refusal) return refusal;
    const launch = await commandLaunch(command, dir, ctx);
    const result = await runShellCommand(command, {
      cwd: dir,
      launch,
      timeoutMs: Math.min(timeoutMs ?? policy.timeoutMs, policy.timeoutMs),
      maxOutputBytes: policy.maxOutputBytes,
      signal: ctx.signal,
    });
    ctx.signal.throwIfAborted();
    return report(command, dir, result, policy.maxOutputBytes, launch.sandboxed);
  },
});

function report(
  command: string,
  cwd: string,
  r: ShellRunResult,
  cap: number,
  sandboxed: boolean,
): ToolOutput {
  const status = r.timedOut
    ? `timed out after ${r.durationMs} ms; its process group was killed`
    : r.exitCode === null
    ? `killed by ${r.signal}`
    : `exit code ${r.exitCode}`;
  const parts = [`$ ${command}`, `[${status}]`];
  if (r.stdout) parts.push(r.stdout.trimEnd());
  if (r.stderr) parts.push(`[stderr]\n${r.stderr.trimEnd()}`);
  if (r.truncated) parts.push(`[Output truncated at ${cap} bytes]`);
  return {
    content: parts.join("\n"),
    data: {
      command,
      cwd,
      exitCode: r.exitCode,
      signal: r.signal,
      timedOut: r.timedOut,
      truncated: r.truncated,
      durationMs: r.durationMs,
      sandboxed,
      stdout: r.stdout,
      stderr: r.stderr,
    },
    isError: r.timedOut || r.exitCode !== 0,
  };
}
