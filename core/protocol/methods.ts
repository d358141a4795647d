/**
 * @module The catalogue of methods: every RPC method, once, with its params and result schema.
 * The server's handlers are checked against it, `GatewayClient.request` is typed from it, the CLI
 * and the UI import its types, and `scripts/gen_protocol.ts` writes the docs from it.
 */

import type { z } from "zod";
import { agentsContract } from "./methods/agents.ts";
import { backupContract } from "./methods/backup.ts";
import { browserContract } from "./methods/browser.ts";
import { channelsContract } from "./methods/channels.ts";
import { chatContract } from "./methods/chat.ts";
import { configContract } from "./methods/config.ts";
import { cronContract } from "./methods/cron.ts";
import { deviceContract } from "./methods/device.ts";
import { gatewayContract } from "./methods/gateway.ts";
import { memoryContract } from "./methods/memory.ts";
import { modelsContract } from "./methods/models.ts";
import { sessionsContract } from "./methods/sessions.ts";
import { systemContract } from "./methods/system.ts";
import { toolsContract } from "./methods/tools.ts";

export const METHODS = {
  ...gatewayContract,
  ...chatContract,
  ...sessionsContract,
  ...agentsContract,
  ...modelsContract,
  ...systemContract,
  ...configContract,
  ...channelsContract,
  ...cronContract,
  ...deviceContract,
  ...backupContract,
  ...browserContract,
  ...toolsContract,
  ...memoryContract,
};

/** Methods the spec lists as registered but not implemented: they answer NOT_IMPLEMENTED. */
export { NOT_IMPLEMENTED_METHODS } from "./not_implemented.ts";

/** Every method name in the catalogue (`connect` included). */
export type MethodName = keyof typeof METHODS;

/** What a client may send as `params` of method `M` (defaults still optional). */
export type MethodParams<M extends MethodName> = z.input<typeof METHODS[M]["params"]>;

/** The params of method `M` after parsing, as its handler gets them. */
export type ParsedParams<M extends MethodName> = z.output<typeof METHODS[M]["params"]>;

/** What method `M` answers. */
export type MethodResult<M extends MethodName> = z.output<typeof METHODS[M]["result"]>;
