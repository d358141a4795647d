/**
 * @module Contract of the gateway's own small families: `connect`, `health`, `web.status`,
 * `update.check`, `usage.get`, `doctor.run`, `logs.tail`.
 */

import { z } from "zod";
import { methods } from "../contract.ts";
import { isoTime, noParams } from "./_shared.ts";
import { USAGE_MAX_DAYS } from "../limits.ts";

const health = {
  summary: "Is the gateway up, for how long (ms), with how many clients",
  params: noParams,
  result: z.object({ status: z.string(), uptime: z.number(), connections: z.number() }),
};

export const gatewayContract = methods({
  connect: {
    summary: "The handshake; must be the first request (see Handshake)",
    params: z.object({
      minProtocol: z.number().int().optional(),
      maxProtocol: z.number().int().optional(),
      clientName: z.string().max(128).optional(),
      auth: z.object({
        token: z.string().max(4096).optional(),
        password: z.string().max(4096).optional(),
      }).optional(),
      /**
       * `all`: every session's events (observers such as dashboards). By default a client gets the
       * events of the sessions it sends to or reads (`chat.*`), and every non-session event.
       */
      events: z.enum(["all", "watched"]).optional(),
    }),
    result: z.object({
      protocol: z.number(),
      server: z.object({ name: z.string(), version: z.string() }),
      connId: z.string().optional(),
    }),
  },
  health,
  "health.check": { ...health, summary: "Alias of `health` (the name openclaw-py's CLI probes)" },
  "web.status": {
    summary: "Whether a control UI or web chat client is connected",
    params: noParams,
    result: z.object({
      connected: z.boolean(),
      clients: z.number(),
      enabled: z.boolean(),
      uptime: z.number(),
    }),
  },
  "update.check": {
    summary: "Is a newer version published (answers offline too)",
    params: noParams,
    result: z.object({
      currentVersion: z.string(),
      updateAvailable: z.boolean(),
      latestVersion: z.string().optional(),
      reason: z.string().optional(),
      checkedAt: isoTime,
    }),
  },
  "usage.get": {
    summary: "Tokens and estimated cost over the last `days`",
    params: z.object({ days: z.number().int().min(1).max(USAGE_MAX_DAYS).default(30) }),
    result: z.object({
      days: z.number(),
      totalTokens: z.number(),
      promptTokens: z.number(),
      completionTokens: z.number(),
      estimatedCost: z.number(),
      requests: z.number(),
      byDay: z.array(z.object({
        date: z.string(),
        totalTokens: z.number(),
        estimatedCost: z.number(),
        requests: z.number(),
      })),
      byModel: z.array(z.object({
        provider: z.string(),
        model: z.string(),
        totalTokens: z.number(),
        estimatedCost: z.number(),
        requests: z.number(),
      })),
      byProvider: z.array(z.object({
        provider: z.string(),
        totalTokens: z.number(),
        estimatedCost: z.number(),
        requests: z.number(),
      })),
    }),
  },
  "doctor.run": {
    summary: "The doctor's checks against the running gateway's config",
    params: noParams,
    result: z.object({
      checks: z.array(z.object({
        id: z.string(),
        name: z.string(),
        status: z.enum(["ok", "warn", "fail"]),
        message: z.string(),
        hint: z.string().optional(),
      })),
      summary: z.object({
        total: z.number(),
        ok: z.number(),
        warn: z.number(),
        fail: z.number(),
        healthy: z.boolean(),
      }),
    }),
  },
  "logs.tail": {
    summary: "The last lines of the gateway's log file (readable, or raw JSON lines)",
    params: z.object({
      limit: z.number().int().positive().max(5_000).default(100),
      /** Raw JSON lines instead of readable text. */
      json: z.boolean().default(false),
      /** Readable lines show local time instead of UTC. */
      localTime: z.boolean().default(false),
    }),
    result: z.object({ lines: z.array(z.string()), count: z.number(), path: z.string() }),
  },
});
