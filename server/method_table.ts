/** @module How a method family is declared: a table of method name → { params schema, handler }. */

import type { z } from "zod";
import type { RpcContext } from "./context.ts";

/** One RPC method: its params schema and the handler that gets the parsed params. */
export interface MethodSpec<S extends z.ZodType = z.ZodType> {
  params: S;
  handler: (params: z.output<S>, ctx: RpcContext) => unknown | Promise<unknown>;
}

/** A family's table. The method name is written once, as the key. */
export type MethodTable = Record<string, MethodSpec>;

/**
 * Declares a method family with each handler's params typed from its schema.
 *
 * @example
 * ```ts
 * export const healthMethods = defineMethods({
 *   health: { params: z.object({}), handler: (_params, ctx) => ctx.gateway.health() },
 * });
 * ```
 */
export function defineMethods<T extends Record<string, z.ZodType>>(
  table: { [K in keyof T]: MethodSpec<T[K]> },
): MethodTable {
  return table as unknown as MethodTable;
}
