/**
 * @module `device.*`: pair a new device with a one-time code (`initiate`, `complete`), and list
 * or revoke paired devices. A new device without credentials completes over HTTP instead
 * (`POST /v1/devices/complete`, see `server/http_route_list.ts`).
 */

import { z } from "zod";
import { defineMethods } from "../method_table.ts";

/** The params of `device.complete`, shared with its HTTP route. */
export const completeParams = z.object({
  code: z.string().trim().min(1).max(64),
  /** The new device's answer: `accept` pairs it, `reject` declines and spends the code. */
  response: z.enum(["accept", "reject"]),
});

export const deviceMethods = defineMethods({
  "device.initiate": {
    params: z.object({ deviceName: z.string().trim().min(1).max(64) }),
    handler: ({ deviceName }, ctx) => {
      const code = ctx.services.devices.initiate(deviceName);
      ctx.logger.info("device pairing started", { deviceName, connId: ctx.connId });
      return code;
    },
  },
  "device.complete": {
    params: completeParams,
    handler: async ({ code, response }, ctx) => {
      const result = await ctx.services.devices.complete(code, response, ctx.client.address);
      ctx.logger.info("device pairing completed", {
        paired: result.paired,
        deviceId: result.paired ? result.deviceId : undefined,
      });
      return result;
    },
  },
  "device.list": {
    params: z.object({}).passthrough(),
    handler: async (_params, ctx) => {
      const devices = await ctx.services.devices.list();
      return { devices, count: devices.length };
    },
  },
  "device.revoke": {
    params: z.object({ deviceId: z.string().min(1).max(128) }),
    handler: async ({ deviceId }, ctx) => {
      await ctx.services.devices.revoke(deviceId);
      ctx.logger.info("device revoked", { deviceId, connId: ctx.connId });
      return { revoked: true, deviceId };
    },
  },
});
