/**
 * @module What a paired device may do. Each device has a role, set by an admin when it pairs
 * (`device.initiate`'s `role`) or later (`device.setRole`); each RPC method needs one scope (see
 * `server/method_scopes.ts`). The gateway's own token or password holds every scope.
 */

import { DEVICE_ROLES } from "../../core/protocol/limits.ts";

/** The kinds of thing a method does, from harmless to widening the host's exposure. */
export type Scope = "read" | "chat" | "approvals" | "admin";

/** The roles a device may hold, as `device.*` params name them. */
export type DeviceRole = (typeof DEVICE_ROLES)[number];

/** A new device's role when the admin names none: chat, read and approve, nothing more. */
export const DEFAULT_DEVICE_ROLE: DeviceRole = "operator";

/** The scopes each role holds. */
export const ROLE_SCOPES: Record<DeviceRole, readonly Scope[]> = {
  viewer: ["read"],
  operator: ["read", "chat", "approvals"],
  admin: ["read", "chat", "approvals", "admin"],
};

/** True when a device with `role` may call a method that needs `scope`. */
export function roleAllows(role: DeviceRole, scope: Scope): boolean {
  return ROLE_SCOPES[role].includes(scope);
}
