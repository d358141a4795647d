/** @module Contract of `cron.*`: scheduled agent turns and their run history. */

import { z } from "zod";
import { methods } from "../contract.ts";
import { isoTime, noParams, ok } from "./_shared.ts";

const runStatus = z.enum(["ok", "error", "skipped"]);

export const cronContract = methods({
  "cron.list": {
    summary: "The scheduled jobs with their next and last runs",
    params: noParams,
    result: z.array(z.object({
      id: z.string(),
      cron: z.string(),
      /** A name the agent gave it (the `cron` tool lists and removes by name). */
      name: z.string().optional(),
      message: z.string(),
      agentId: z.string(),
      timezone: z.string().optional(),
      sessionId: z.string(),
      createdAt: isoTime,
      createdBy: z.union([
        z.object({ via: z.literal("rpc"), client: z.string().optional() }),
        z.object({ via: z.literal("tool"), agentId: z.string(), sessionId: z.string() }),
      ]).optional(),
      nextRunAt: isoTime.nullable(),
      running: z.boolean(),
      lastRunAt: isoTime.optional(),
      lastStatus: runStatus.optional(),
    })),
  },
  "cron.add": {
    summary: "Schedule an agent turn (a cron expression, `@every <n>s` or `@at <ISO time>`)",
    params: z.object({
      cron: z.string().trim().min(1).max(200),
      message: z.string().trim().min(1).max(20_000),
      agentId: z.string().min(1).max(64).optional(),
      timezone: z.string().min(1).max(64).optional(),
    }),
    result: z.object({
      id: z.string(),
      cron: z.string(),
      sessionId: z.string(),
      nextRunAt: isoTime.nullable(),
    }),
  },
  "cron.remove": {
    summary: "Remove a scheduled job",
    params: z.object({ id: z.string().min(1).max(64) }),
    result: ok,
  },
  "cron.history": {
    summary: "Past runs of one job, or of all",
    params: z.object({
      jobId: z.string().min(1).max(64).optional(),
      limit: z.number().int().positive().max(1_000).default(50),
    }),
    result: z.object({
      records: z.array(z.object({
        id: z.string(),
        jobId: z.string(),
        trigger: z.enum(["schedule", "catch-up", "missed"]),
        start: isoTime,
        end: isoTime,
        durationMs: z.number(),
        status: runStatus,
        error: z.string().optional(),
        preview: z.string().optional(),
      })),
      count: z.number(),
    }),
  },
});
