/** @module `system.*`: runtime info, system events, heartbeat, presence and filtered logs. */

import { z } from "zod";
import { LOG_LEVELS, type LogLevel, readLastLines } from "../../core/logger.ts";
import { VERSION } from "../../core/version.ts";
import { defineMethods } from "../method_table.ts";

export const systemMethods = defineMethods({
  "system.info": {
    params: z.object({}).passthrough(),
    handler: (_params, ctx) => ({
      platform: Deno.build.os,
      arch: Deno.build.arch,
      uptime: Date.now() - ctx.gateway.startedAt,
      version: VERSION,
      runtime: {
        name: "deno",
        version: Deno.version.deno,
        v8: Deno.version.v8,
        typescript: Deno.version.typescript,
      },
      pid: Deno.pid,
      stateDir: ctx.gateway.paths.root,
    }),
  },
  "system.event": {
    params: z.object({
      text: z.string().trim().min(1).max(10_000),
      mode: z.enum(["now", "next-heartbeat"]).default("next-heartbeat"),
    }),
    handler: ({ text, mode }, ctx) => {
      const event = ctx.services.systemEvents.enqueue(text, mode);
      ctx.bus.publish({ event: "system.event", payload: { ...event, eventType: "system" } });
      return { ok: true, eventType: "system", mode };
    },
  },
  "system.heartbeat.last": {
    params: z.object({}).passthrough(),
    handler: (_params, ctx) => ({
      enabled: ctx.config().agents.defaults.heartbeat.enabled,
      lastHeartbeatAt: ctx.services.systemEvents.lastHeartbeatAt,
    }),
  },
  "system.presence": {
    params: z.object({}).passthrough(),
    // Connected clients, then the channels that are up (`kind` tells them apart).
    handler: (_params, ctx) => ({
      entries: [
        ...ctx.gateway.clients().map((client) => ({ kind: "client", ...client })),
        ...ctx.services.channels.list().filter((c) => c.status === "running").map((c) => ({
          kind: "channel",
          ...c,
        })),
      ],
    }),
  },
  "system.logs": {
    params: z.object({
      lines: z.number().int().positive().max(5_000).default(100),
      level: z.enum(["debug", "info", "warn", "error"]).optional(),
    }),
    handler: async ({ lines, level }, ctx) => {
      const min = LOG_LEVELS[level ?? "debug"];
      // Read more than asked so a level filter still fills the page.
      const raw = await readLastLines(ctx.gateway.paths.logFile, level ? lines * 10 : lines);
      const logs = raw
        .map((line) => {
          try {
            return JSON.parse(line) as { level: LogLevel };
          } catch {
            return undefined;
          }
        })
        .filter((record) => record && LOG_LEVELS[record.level] >= min)
        .slice(-lines);
      return { logs, count: logs.length };
    },
  },
});
