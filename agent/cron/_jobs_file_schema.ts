/** @module The schema of `<state>/cron/jobs.json` (agent/cron/cron_store.ts loads it on first read). */

import { z } from "zod";

const jobSchema = z.object({
  id: z.string(),
  cron: z.string(),
  name: z.string().optional(),
  message: z.string(),
  agentId: z.string(),
  timezone: z.string().optional(),
  sessionId: z.string(),
  createdAt: z.string(),
  createdBy: z.union([
    z.object({ via: z.literal("rpc"), client: z.string().optional() }),
    z.object({ via: z.literal("tool"), agentId: z.string(), sessionId: z.string() }),
  ]).optional(),
  lastRunAt: z.string().optional(),
  lastStatus: z.enum(["ok", "error", "skipped"]).optional(),
});
export const jobsFileSchema = z.object({ version: z.literal(1), jobs: z.array(jobSchema) });
