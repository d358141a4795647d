/** @module `system.*`: runtime info, system events, heartbeat, presence and filtered logs. */

import { LOG_LEVELS, type LogRecord, readLastLines } from "../../core/logger.ts";
import { VERSION } from "../../core/version.ts";
import { defineMethods } from "../method_table.ts";

export const systemMethods = defineMethods({
  "system.info": {
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
    handler: ({ text, mode }, ctx) => {
      const event = ctx.services.systemEvents.enqueue(text, mode);
      ctx.bus.publish("system.event", { ...event, eventType: "system" });
      return { ok: true, eventType: "system", mode };
    },
  },
  "system.heartbeat.last": {
    handler: (_params, ctx) => ({
      enabled: ctx.config().agents.defaults.heartbeat.enabled,
      lastHeartbeatAt: ctx.services.systemEvents.lastHeartbeatAt,
    }),
  },
  "system.presence": {
    // Connected clients, then the channels that are up (`kind` tells them apart).
    handler: (_params, ctx) => ({
      entries: [
        ...ctx.gateway.clients().map((client) => ({ kind: "client" as const, ...client })),
        ...ctx.services.channels.list().filter((c) => c.status === "running").map((c) => ({
          kind: "channel" as const,
          ...c,
        })),
      ],
    }),
  },
  "system.logs": {
    handler: async ({ lines, level }, ctx) => {
      const min = LOG_LEVELS[level ?? "debug"];
      // Read more than asked so a level filter still fills the page.
      const raw = await readLastLines(ctx.gateway.paths.logFile, level ? lines * 10 : lines);
      const logs = raw
        .map((line) => {
          try {
            return JSON.parse(line) as LogRecord;
          } catch {
            return undefined;
          }
        })
        .filter((record): record is LogRecord =>
          record !== undefined && LOG_LEVELS[record.level] >= min
        )
        .slice(-lines);
      return { logs, count: logs.length };
    },
  },
});
