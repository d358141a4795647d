/**
 * @module `device.*`: pair a new device with a one-time code (`initiate`, `complete`), and list
 * or revoke paired devices. A new device without credentials completes over HTTP instead
 * (`POST /v1/devices/complete`, see `server/http_route_list.ts`).
 */

import { defineMethods } from "../method_table.ts";

export const deviceMethods = defineMethods({
  "device.initiate": {
    handler: ({ deviceName }, ctx) => {
      const code = ctx.services.devices.initiate(deviceName);
      ctx.logger.info("device pairing started", { deviceName, connId: ctx.connId });
      return code;
    },
  },
  "device.complete": {
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
    handler: async (_params, ctx) => {
      const devices = await ctx.services.devices.list();
      return { devices, count: devices.length };
    },
  },
  "device.revoke": {
    handler: async ({ deviceId }, ctx) => {
      await ctx.services.devices.revoke(deviceId);
      ctx.logger.info("device revoked", { deviceId, connId: ctx.connId });
      return { revoked: true, deviceId };
    },
  },
});
