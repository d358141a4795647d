/**
 * @module Contract of `device.*`: pair a device with a one-time code, list and revoke devices,
 * and set each one's role.
 */

import { z } from "zod";
import { methods } from "../contract.ts";
import { DEVICE_ROLES } from "../limits.ts";
import { isoTime, noParams } from "./_shared.ts";

export { DEVICE_ROLES };
export const deviceRole = z.enum(DEVICE_ROLES);

/** The params of `device.complete`, shared with its HTTP route. */
export const completeParams = z.object({
  code: z.string().trim().min(1).max(64),
  /** The new device's answer: `accept` pairs it, `reject` declines and spends the code. */
  response: z.enum(["accept", "reject"]),
});

/** What `device.complete` answers (and `POST /v1/devices/complete`). */
export const completeResult = z.union([
  z.object({
    paired: z.literal(true),
    deviceId: z.string(),
    deviceName: z.string(),
    role: deviceRole,
    token: z.string(),
    pairedAt: isoTime,
  }),
  z.object({ paired: z.literal(false) }),
]);

export const deviceContract = methods({
  "device.initiate": {
    summary: "Start pairing: a one-time code for the new device",
    params: z.object({
      deviceName: z.string().trim().min(1).max(64),
      /** What the new device may do; chosen by the admin issuing the code, never by the device. */
      role: deviceRole.optional(),
    }),
    result: z.object({
      code: z.string(),
      deviceName: z.string(),
      role: deviceRole,
      expiresAt: isoTime,
      expiresInMs: z.number(),
    }),
  },
  "device.complete": {
    summary: "Accept (pair, answering the device's token) or reject a pairing code",
    params: completeParams,
    result: completeResult,
  },
  "device.list": {
    summary: "The paired devices (never their tokens)",
    params: noParams,
    result: z.object({
      devices: z.array(z.object({
        deviceId: z.string(),
        deviceName: z.string(),
        role: deviceRole,
        pairedAt: isoTime,
        lastSeenAt: isoTime.optional(),
      })),
      count: z.number(),
    }),
  },
  "device.setRole": {
    summary: "Set what a paired device may do (admin only)",
    params: z.object({ deviceId: z.string().min(1).max(128), role: deviceRole }),
    result: z.object({ deviceId: z.string(), role: deviceRole }),
  },
  "device.revoke": {
    summary: "Revoke a device's token and close its connections",
    params: z.object({ deviceId: z.string().min(1).max(128) }),
    result: z.object({ revoked: z.boolean(), deviceId: z.string() }),
  },
});
