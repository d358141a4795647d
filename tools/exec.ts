/**
 * @module `exec`: runs a shell command in the workspace with a timeout, an output cap and a
 * process-group kill. `tools.exec.policy` decides: `allow` runs anything, `deny` refuses all but
 * `allowPatterns`, `ask` (the default) runs `allowPatterns` and asks a client for the rest.
 */

import { z } from "zod";
import { globMatch } from "../core/glob.ts";
import type { ExecApprovalOutcome } from "./exec_approvals.ts";
import { runShellCommand, type ShellRunResult } from "./_process_tree.ts";
import { resolveToolPath } from "./tool_paths.ts";
import { defineTool, type ToolContext, type ToolOutput } from "./tool.ts";

const parameters = z.strictObject({
  command: z.string().min(1).max(100_000).describe("Shell command (sh -c; cmd on Windows)"),
  cwd: z.string().optional().describe("Working folder, relative to the workspace"),
  timeoutMs: z.number().int().positive().optional()
    .describe("Kill it after this long (capped by tools.exec.timeoutMs)"),
});

export const execTool = defineTool({
  name: "exec",
  group: "group:exec",
  description: "Run a shell command in the workspace and return its exit code and output. " +
    "The user may have to approve it first.",
  parameters,
  async run({ command, cwd, timeoutMs }, ctx) {
    const policy = ctx.config().tools.exec;
    const dir = await workingDir(ctx, cwd);
    const preApproved = matchesAllowPattern(command, policy.allowPatterns);
    if (policy.policy === "deny" && !preApproved) {
      return refused(command, "tools.exec.policy is deny and no allowPatterns entry matches");
    }
    if (policy.policy === "ask" && !preApproved) {
      const approvals = ctx.services.approvals;
      if (!approvals) return refused(command, "approval is required and no client can approve");
      // A plan being worked on pauses while its step waits for the user.
      const plans = ctx.services.plans;
      await plans?.markWaiting(ctx.agentId, ctx.sessionId, "awaiting approval");
      const outcome = await approvals.request(
        { command, cwd: dir, sessionId: ctx.sessionId, agentId: ctx.agentId },
        { timeoutMs: policy.approvalTimeoutMs, signal: ctx.signal },
      );
      await plans?.markWaiting(ctx.agentId, ctx.sessionId, PLAN_PAUSE[outcome]);
      if (outcome !== "approved") return refused(command, DENIAL[outcome]);
    }
    ctx.signal.throwIfAborted();
    const result = await runShellCommand(command, {
      cwd: dir,
      timeoutMs: Math.min(timeoutMs ?? policy.timeoutMs, policy.timeoutMs),
      maxOutputBytes: policy.maxOutputBytes,
      signal: ctx.signal,
    });
    ctx.signal.throwIfAborted();
    return report(command, dir, result, policy.maxOutputBytes);
  },
});

/** What becomes of a plan after the approval: paused for good when the run stops, else active. */
const PLAN_PAUSE: Record<ExecApprovalOutcome, string | undefined> = {
  approved: undefined,
  denied: undefined,
  timeout: undefined,
  aborted: "aborted",
  shutdown: "gateway stopped",
};

const DENIAL: Record<Exclude<ExecApprovalOutcome, "approved">, string> = {
  denied: "the user denied it",
  timeout: "nobody approved it in time",
  aborted: "the run was aborted while it waited for approval",
  shutdown: "the gateway stopped while it waited for approval",
};

function refused(command: string, why: string): ToolOutput {
  return {
    content: `Command not run: ${why}.\n$ ${command}`,
    data: { command, approved: false, reason: why },
    isError: true,
  };
}

async function workingDir(ctx: ToolContext, cwd: string | undefined): Promise<string> {
  if (cwd === undefined) {
    // A fresh agent's workspace may not exist yet; the command runs there all the same.
    await Deno.mkdir(ctx.workspaceDir, { recursive: true });
  }
  const dir = await resolveToolPath(ctx, cwd ?? ".");
  const info = await Deno.stat(dir).catch(() => undefined);
  if (!info?.isDirectory) throw new Error(`Working folder not found: ${cwd ?? dir}`);
  return dir;
}

/** Shell syntax that chains or substitutes commands, which an allow pattern must not vouch for. */
const CHAINING = /[;&|`\n\r<>]|\$\(/;

/**
 * True when `command` matches one of the glob `patterns` (`*` any text, `?` one character), as a
 * whole. A command that chains or substitutes others only matches a pattern that allows that
 * syntax itself, so `git status*` does not approve `git status; rm -rf ~`.
 */
export function matchesAllowPattern(command: string, patterns: readonly string[]): boolean {
  const text = command.trim();
  return patterns.some((pattern) => {
    if (CHAINING.test(text) && !CHAINING.test(pattern)) return false;
    return globMatch(pattern.trim(), text);
  });
}

function report(command: string, cwd: string, r: ShellRunResult, cap: number): ToolOutput {
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
      stdout: r.stdout,
      stderr: r.stderr,
    },
    isError: r.timedOut || r.exitCode !== 0,
  };
}
