/**
 * @module Which scope each RPC method needs, and the check the dispatcher runs before a handler.
 * The gateway's own token or password (and `auth.mode: "none"` on loopback) holds every scope; a
 * paired device holds its role's (see `agent/devices/device_roles.ts`). A method missing from
 * this table needs `admin`, so a new method is closed to devices until someone decides.
 */

import { roleAllows, type Scope } from "../agent/devices/device_roles.ts";
import { GatewayError } from "../core/errors.ts";
import type { RpcContext } from "./context.ts";

const READ = [
  "agents.bindings",
  "agents.list",
  "backup.status",
  "browser.profiles",
  "browser.status",
  "browser.tabs",
  "channels.list",
  "channels.status",
  "chat.history",
  "config.get",
  "cron.history",
  "cron.list",
  "device.list",
  "doctor.run",
  "health",
  "health.check",
  "logs.tail",
  "mcp.status",
  "memory.search",
  "memory.status",
  "models.list",
  "plan.get",
  "plan.list",
  "sessions.list",
  "sessions.preview",
  "skills.list",
  "system.heartbeat.last",
  "system.info",
  "system.logs",
  "system.presence",
  "tools.exec_pending",
  "tools.list",
  "tts.voices",
  "update.check",
  "usage.get",
  "web.status",
];

const CHAT = [
  "chat.abort",
  "chat.edit",
  "chat.resend",
  "chat.send",
  // Completing a code an admin issued: the role was chosen by that admin, not by the caller.
  "device.complete",
  "memory.reindex",
  "models.probe",
  "plan.delete",
  "plan.resume",
  "sessions.compact",
  "sessions.delete",
  "sessions.reset",
  "system.event",
];

const APPROVALS = ["tools.exec_approve"];

/**
 * Everything else: config writes (`tools.exec.policy`, `allowPatterns`, the sandbox, MCP server
 * commands), pairing and revoking devices and their roles, backups (they hold every secret),
 * cron jobs (turns that run unattended later) and driving the browser.
 */
const SCOPES = new Map<string, Scope>([
  ...READ.map((m) => [m, "read"] as const),
  ...CHAT.map((m) => [m, "chat"] as const),
  ...APPROVALS.map((m) => [m, "approvals"] as const),
]);

/** The scope `method` needs. */
export function methodScope(method: string): Scope {
  return SCOPES.get(method) ?? "admin";
}

/**
 * Refuses a call the caller's credential does not cover.
 *
 * @throws {GatewayError} AUTH_REQUIRED naming the device's role and the method
 */
export async function authorizeMethod(method: string, ctx: RpcContext): Promise<void> {
  const credential = ctx.credential;
  if (credential?.kind !== "device" || !credential.deviceId) return;
  const scope = methodScope(method);
  const role = await ctx.services.devices.roleOf(credential.deviceId);
  if (!role) throw new GatewayError("AUTH_REQUIRED", "This device has been revoked");
  if (!roleAllows(role, scope)) {
    throw new GatewayError(
      "AUTH_REQUIRED",
      `Device role "${role}" may not call ${method} (it needs the ${scope} scope)`,
      { role, method, scope },
    );
  }
}
