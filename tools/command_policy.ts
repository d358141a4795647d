/**
 * @module The approval policy every agent command passes (`exec`, `exec background`,
 * `process start`): `tools.exec.policy` `allow` runs anything, `deny` refuses all but
 * `allowPatterns`, `ask` (the default) runs `allowPatterns` and asks a client for the rest.
 */

import type { ExecApprovalOutcome } from "./exec_approvals.ts";
import { resolveToolPath } from "./tool_paths.ts";
import { type CommandLaunch, execSandboxSettings, hostLaunch } from "./sandbox/command_sandbox.ts";
import type { ToolContext, ToolOutput } from "./tool.ts";

/**
 * Decides whether `command` may run in `cwd`, asking a client when the policy says so.
 *
 * @returns undefined when it may run, else the refusal the model reads
 */
export async function authorizeCommand(
  command: string,
  cwd: string,
  ctx: ToolContext,
): Promise<ToolOutput | undefined> {
  const policy = ctx.config().tools.exec;
  // shell-quote is CommonJS: loaded on the first command, not at the gateway's start (issue 17).
  const { matchesAllowPattern } = await import("./_command_allowlist.ts");
  const preApproved = matchesAllowPattern(command, policy.allowPatterns, {
    workspaceDir: ctx.workspaceDir,
    cwd,
  });
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
      { command, cwd, sessionId: ctx.sessionId, agentId: ctx.agentId },
      { timeoutMs: policy.approvalTimeoutMs, signal: ctx.signal },
    );
    await plans?.markWaiting(ctx.agentId, ctx.sessionId, PLAN_PAUSE[outcome]);
    if (outcome !== "approved") return refused(command, DENIAL[outcome]);
  }
  ctx.signal.throwIfAborted();
  return undefined;
}

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

/**
 * How `command` is started for this agent: in the sandbox the settings ask for (or by default
 * where bubblewrap works), else through the host's shell.
 *
 * @throws {Error} when the agent's settings require the sandbox and it does not work here
 */
export async function commandLaunch(
  command: string,
  cwd: string,
  ctx: ToolContext,
): Promise<CommandLaunch> {
  const sandbox = ctx.services.sandbox;
  const settings = execSandboxSettings(ctx.config(), ctx.agentId);
  if (!sandbox) {
    if (settings.mode === "bwrap") {
      throw new Error('tools.exec.sandbox is "bwrap" but this runtime has no sandbox');
    }
    return hostLaunch(command);
  }
  return await sandbox.launch(command, { workspace: ctx.workspaceDir, cwd }, settings);
}

/** The folder a command runs in: `cwd` inside the workspace, or the workspace (made if new). */
export async function commandDir(ctx: ToolContext, cwd: string | undefined): Promise<string> {
  if (cwd === undefined) {
    // A fresh agent's workspace may not exist yet; the command runs there all the same.
    await Deno.mkdir(ctx.workspaceDir, { recursive: true });
  }
  const dir = await resolveToolPath(ctx, cwd ?? ".");
  const info = await Deno.stat(dir).catch(() => undefined);
  if (!info?.isDirectory) throw new Error(`Working folder not found: ${cwd ?? dir}`);
  return dir;
}
