/** @module The schema of `<state>/devices.json` (agent/devices/device_store.ts loads it on first read). */

import { z } from "zod";
import { DEVICE_ROLES } from "../../core/protocol/limits.ts";

export const fileSchema = z.object({
  version: z.literal(1),
  devices: z.array(z.object({
    id: z.string(),
    name: z.string(),
    tokenHash: z.string().regex(/^[0-9a-f]{64}$/),
    pairedAt: z.string(),
    lastSeenAt: z.string().optional(),
    role: z.enum(DEVICE_ROLES).optional(),
  })),
});
