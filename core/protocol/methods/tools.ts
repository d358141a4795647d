/**
 * @module Contract of the tool families: `tools.*` (the tool pool, exec approvals), `mcp.status`,
 * `skills.list`, `plan.*` and `tts.voices`.
 */

import { z } from "zod";
import { methods } from "../contract.ts";
import { isoTime, noParams, ok } from "./_shared.ts";

/** An `exec` command waiting for approval (also the `exec.approval.requested` payload). */
export const execApprovalRequest = z.object({
  requestId: z.string(),
  command: z.string(),
  cwd: z.string(),
  sessionId: z.string(),
  agentId: z.string(),
  /** Epoch ms. */
  expiresAt: z.number(),
});

const plan = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(["active", "paused", "completed", "cancelled"]),
  steps: z.array(z.object({
    id: z.number(),
    title: z.string(),
    status: z.enum(["pending", "in_progress", "done", "skipped", "failed"]),
    note: z.string().optional(),
    updatedAt: isoTime,
  })),
  agentId: z.string(),
  sessionId: z.string(),
  createdAt: isoTime,
  updatedAt: isoTime,
  pausedReason: z.string().optional(),
  resumedAt: isoTime.optional(),
});
const planId = z.object({ planId: z.string().min(1).max(128) });

export const toolsContract = methods({
  "tools.list": {
    summary: "Every tool: built-ins, then `mcp:<server>:<tool>`; `allowed` for `agentId`'s policy",
    // `agentId` is ours (the spec lists no params): whose allow/deny lists `allowed` reflects.
    params: z.object({ agentId: z.string().min(1).optional() }),
    result: z.array(z.object({
      name: z.string(),
      description: z.string(),
      group: z.string().nullable(),
      allowed: z.boolean(),
    })),
  },
  "tools.exec_approve": {
    summary: "Approve or deny a waiting `exec` command",
    params: z.object({ requestId: z.string().min(1), approved: z.boolean() }),
    result: ok,
  },
  "tools.exec_pending": {
    summary: "The `exec` commands waiting for approval",
    params: z.object({}),
    result: z.object({ requests: z.array(execApprovalRequest), count: z.number() }),
  },
  "mcp.status": {
    summary: "Each MCP server's transport, state, tools and last error",
    params: z.object({}),
    result: z.object({
      servers: z.array(z.object({
        name: z.string(),
        transport: z.enum(["stdio", "http", "streamable-http", "sse"]),
        state: z.enum(["connecting", "connected", "error", "disabled", "closed"]),
        toolCount: z.number(),
        tools: z.array(z.string()),
        lastError: z.string().optional(),
        pid: z.number().optional(),
        connectedAt: isoTime.optional(),
        failures: z.number(),
        nextRetryAt: isoTime.optional(),
      })),
      count: z.number(),
    }),
  },
  "skills.list": {
    summary: "The skills an agent can load (`main` by default)",
    params: z.object({ agentId: z.string().min(1).max(64).optional() }),
    result: z.object({
      skills: z.array(z.object({
        name: z.string(),
        description: z.string(),
        dir: z.string(),
        file: z.string(),
        source: z.enum(["workspace", "config", "state"]),
      })),
      count: z.number(),
    }),
  },
  "plan.list": {
    summary: "The plans agents wrote with the `plan` tool",
    params: z.object({}),
    result: z.object({ plans: z.array(plan), count: z.number() }),
  },
  "plan.get": { summary: "One plan", params: planId, result: plan },
  "plan.resume": {
    summary: "Resume a paused plan",
    params: planId,
    result: z.object({ resumed: z.boolean(), plan }),
  },
  "plan.delete": {
    summary: "Delete a plan",
    params: planId,
    result: z.object({ deleted: z.literal(true) }),
  },
  "tts.voices": {
    summary: "The voices of the machine's speech engine",
    params: noParams,
    result: z.object({
      voices: z.array(z.object({
        id: z.string(),
        name: z.string(),
        language: z.string(),
        gender: z.string().optional(),
      })),
      count: z.number(),
      engine: z.string().nullable(),
      reason: z.string().optional(),
    }),
  },
});
