/** @module Every method family's table, in one list the dispatcher is built from. */

import type { MethodTable } from "./method_table.ts";
import { agentsMethods } from "./rpc/agents.ts";
import { chatMethods } from "./rpc/chat.ts";
import { modelsMethods } from "./rpc/models.ts";
import { sessionsMethods } from "./rpc/sessions.ts";
import { backupMethods } from "./rpc/backup.ts";
import { browserMethods } from "./rpc/browser.ts";
import { channelsMethods } from "./rpc/channels.ts";
import { configMethods } from "./rpc/config.ts";
import { cronMethods } from "./rpc/cron.ts";
import { deviceMethods } from "./rpc/device.ts";
import { doctorMethods } from "./rpc/doctor.ts";
import { healthMethods } from "./rpc/health.ts";
import { logsMethods } from "./rpc/logs.ts";
import { mcpMethods } from "./rpc/mcp.ts";
import { memoryMethods } from "./rpc/memory.ts";
import { planMethods } from "./rpc/plan.ts";
import { skillsMethods } from "./rpc/skills.ts";
import { systemMethods } from "./rpc/system.ts";
import { ttsMethods } from "./rpc/tts.ts";
import { toolsMethods } from "./rpc/tools.ts";
import { updateMethods } from "./rpc/update.ts";
import { usageMethods } from "./rpc/usage.ts";
import { webMethods } from "./rpc/web.ts";

export const METHOD_TABLES: MethodTable[] = [
  chatMethods,
  sessionsMethods,
  agentsMethods,
  modelsMethods,
  healthMethods,
  systemMethods,
  logsMethods,
  configMethods,
  usageMethods,
  updateMethods,
  webMethods,
  doctorMethods,
  backupMethods,
  deviceMethods,
  cronMethods,
  channelsMethods,
  ttsMethods,
  browserMethods,
  toolsMethods,
  mcpMethods,
  planMethods,
  skillsMethods,
  memoryMethods,
];
