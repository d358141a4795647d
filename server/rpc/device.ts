/**
 * @module `device.*`: pair a new device with a one-time code (`initiate`, `complete`), list or
 * revoke paired devices, and set what each may do (`setRole`; see `server/method_scopes.ts`).
 * A new device without credentials completes over HTTP instead (`POST /v1/devices/complete`).
 */

import { defineMethods } from "../method_table.ts";

export const deviceMethods = defineMethods({
  "device.initiate": {
    handler: ({ deviceName, role }, ctx) => {
      const code = ctx.services.devices.initiate(deviceName, role);
      ctx.logger.info("device pairing started", {
        deviceName,
        role: code.role,
        connId: ctx.connId,
      });
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
  "device.setRole": {
    handler: async ({ deviceId, role }, ctx) => {
      await ctx.services.devices.setRole(deviceId, role);
      ctx.logger.info("device role set", { deviceId, role, connId: ctx.connId });
      return { deviceId, role };
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
