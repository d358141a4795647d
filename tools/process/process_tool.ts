/**
 * @module `process`: long-running commands in the background. `start` runs a command under the
 * same approval policy as `exec`; `poll` returns new output (waiting up to `timeout` ms for
 * some), `log` all that is kept, `write` sends stdin, `kill` ends its process group, `list`
 * shows the agent's processes.
 */

import { z } from "zod";
import { authorizeCommand, commandDir, commandLaunch } from "../command_policy.ts";
import { defineTool, type ToolContext, type ToolOutput } from "../tool.ts";
import type { BackgroundProcesses, ProcessInfo } from "./background_processes.ts";

/** Longest a poll waits for output. */
const MAX_POLL_MS = 60_000;

const parameters = z.strictObject({
  action: z.enum(["start", "poll", "log", "write", "kill", "list"]),
  command: z.string().min(1).max(100_000).optional().describe("For start"),
  cwd: z.string().optional().describe("For start; default the workspace"),
  pid: z.number().int().positive().optional(),
  timeout: z.number().int().min(0).max(MAX_POLL_MS).optional()
    .describe("poll: wait ms for output (default 5000)"),
  data: z.string().max(1_000_000).optional().describe("For write: text sent to stdin"),
});

export const processTool = defineTool({
  name: "process",
  group: "group:exec",
  description: "Background commands: start, then poll/log output, write stdin, kill; list.",
  parameters,
  async run(args, ctx) {
    const processes = ctx.services.processes;
    if (!processes) throw new Error("Background processes are not available here");
    if (args.action === "start") {
      if (!args.command) throw new Error("action start needs command");
      return await startBackground(processes, args.command, args.cwd, ctx);
    }
    if (args.action === "list") {
      const list = processes.list(ctx.agentId);
      return {
        content: list.length ? list.map(describe).join("\n") : "No background processes",
        data: { processes: list },
      };
    }
    if (args.pid === undefined) throw new Error(`action ${args.action} needs pid`);
    if (args.action === "kill") {
      const info = await processes.kill(args.pid, ctx.agentId);
      return { content: `Killed: ${describe(info)}`, data: info };
    }
    if (args.action === "write") {
      if (args.data === undefined) throw new Error("action write needs data");
      await processes.write(args.pid, ctx.agentId, args.data);
      return { content: `Wrote ${args.data.length} characters to ${args.pid}`, data: { ok: true } };
    }
    const result = args.action === "log"
      ? processes.log(args.pid, ctx.agentId)
      : await processes.poll(args.pid, ctx.agentId, args.timeout ?? 5_000, ctx.signal);
    const lost = result.lost ? `[${result.lost} earlier characters dropped]\n` : "";
    return {
      content: `${describe(result.info)}\n${lost}${result.output || "(no new output)"}`,
      data: { ...result.info, output: result.output, lost: result.lost },
    };
  },
});

/** Starts a command in the background after the approval policy allows it. */
export async function startBackground(
  processes: BackgroundProcesses,
  command: string,
  cwd: string | undefined,
  ctx: ToolContext,
): Promise<ToolOutput> {
  const dir = await commandDir(ctx, cwd);
  const refusal = await authorizeCommand(command, dir, ctx);
  if (refusal) return refusal;
  const launch = await commandLaunch(command, dir, ctx);
  const info = processes.start(command, {
    cwd: dir,
    launch,
    agentId: ctx.agentId,
    sessionId: ctx.sessionId,
  });
  return {
    content: `Started in the background: ${describe(info)}\n` +
      `Use process with action poll and pid ${info.pid} for its output, kill to stop it.`,
    data: info,
  };
}

function describe(info: ProcessInfo): string {
  const state = info.running
    ? "running"
    : info.exitCode === null
    ? `killed by ${info.signal}`
    : `exited with code ${info.exitCode}`;
  return `pid ${info.pid} [${state}] $ ${info.command}`;
}
