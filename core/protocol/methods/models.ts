/** @module Contract of `models.*`: every configured provider's models, and a one-token probe. */

import { z } from "zod";
import { methods } from "../contract.ts";

export const modelsContract = methods({
  "models.list": {
    summary: "Models of every configured provider (config entries plus each provider's list)",
    params: z.object({ refresh: z.boolean().optional() }).passthrough(),
    result: z.array(z.object({
      id: z.string(),
      provider: z.string(),
      name: z.string().optional(),
      contextWindow: z.number().optional(),
      maxTokens: z.number().optional(),
      vision: z.boolean().optional(),
      source: z.enum(["provider", "config"]),
    })),
  },
  "models.probe": {
    summary: "A real one-token request to a model: available, latency (ms)",
    params: z.object({
      model: z.string().min(1).max(256),
      provider: z.string().min(1).max(128).optional(),
      timeoutMs: z.number().int().positive().max(120_000).optional(),
    }),
    result: z.object({
      available: z.boolean(),
      latency: z.number(),
      provider: z.string(),
      model: z.string(),
      error: z.string().optional(),
    }),
  },
});
