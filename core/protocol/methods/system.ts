/** @module Contract of `system.*`: runtime info, system events, heartbeat, presence and logs. */

import { z } from "zod";
import { methods } from "../contract.ts";
import { isoTime, noParams } from "./_shared.ts";
import { channelSummary } from "./channels.ts";

const logLevel = z.enum(["debug", "info", "warn", "error"]);
/** `now` wakes the agent at once; `next-heartbeat` waits for the next heartbeat turn. */
export const systemEventMode = z.enum(["now", "next-heartbeat"]);

export const systemContract = methods({
  "system.info": {
    summary: "Platform, runtime, uptime (ms), version, pid and state dir",
    params: noParams,
    result: z.object({
      platform: z.string(),
      arch: z.string(),
      uptime: z.number(),
      version: z.string(),
      runtime: z.object({
        name: z.string(),
        version: z.string(),
        v8: z.string(),
        typescript: z.string(),
      }),
      pid: z.number(),
      stateDir: z.string(),
    }),
  },
  "system.event": {
    summary: "Queue a text for the agent (and broadcast it as `system.event`)",
    params: z.object({
      text: z.string().trim().min(1).max(10_000),
      mode: systemEventMode.default("next-heartbeat"),
    }),
    result: z.object({ ok: z.boolean(), eventType: z.literal("system"), mode: systemEventMode }),
  },
  "system.heartbeat.last": {
    summary: "Whether the heartbeat is on and when it last ran",
    params: noParams,
    result: z.object({ enabled: z.boolean(), lastHeartbeatAt: isoTime.nullable() }),
  },
  "system.presence": {
    summary: "Connected clients, then the channels that are up",
    params: noParams,
    result: z.object({
      entries: z.array(z.union([
        z.object({
          kind: z.literal("client"),
          connId: z.string(),
          clientName: z.string(),
          address: z.string(),
          connectedAt: isoTime,
          protocol: z.number(),
        }),
        channelSummary.extend({ kind: z.literal("channel") }),
      ])),
    }),
  },
  "system.logs": {
    summary: "The last log records (JSON), filtered by level",
    params: z.object({
      lines: z.number().int().positive().max(5_000).default(100),
      level: logLevel.optional(),
    }),
    result: z.object({
      logs: z.array(z.looseObject({ time: isoTime, level: logLevel, msg: z.string() })),
      count: z.number(),
    }),
  },
});
