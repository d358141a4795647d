/**
 * @module How a method family is implemented: a table of method name -> handler, typed against
 * the catalogue in `core/protocol/methods.ts` (params from its schema, result checked against
 * its result schema).
 */

import type { z } from "zod";
import {
  type MethodName,
  type MethodResult,
  METHODS,
  type ParsedParams,
} from "../core/protocol/methods.ts";
import type { RpcContext } from "./context.ts";

/** What a handler may return for method `M`: the result schema's input, or a promise of it. */
type HandlerResult<M extends MethodName> =
  | z.input<typeof METHODS[M]["result"]>
  | MethodResult<M>
  | Promise<z.input<typeof METHODS[M]["result"]> | MethodResult<M>>;

/** One method's implementation. */
export interface MethodImpl<M extends MethodName> {
  handler: (params: ParsedParams<M>, ctx: RpcContext) => HandlerResult<M>;
}

/** One RPC method as the dispatcher runs it: the catalogue's params schema and the handler. */
export interface MethodSpec {
  params: z.ZodType;
  handler: (params: unknown, ctx: RpcContext) => unknown;
}

/** A family's table, ready for the dispatcher. */
export type MethodTable = Record<string, MethodSpec>;

/**
 * Declares a method family. The names come from the catalogue; each handler gets its params
 * typed from the catalogue's schema and must answer its result type.
 *
 * @example
 * ```ts
 * export const healthMethods = defineMethods({
 *   health: { handler: (_params, ctx) => ctx.gateway.health() },
 * });
 * ```
 */
export function defineMethods<M extends Exclude<MethodName, "connect">>(
  table: { [K in M]: MethodImpl<K> },
): MethodTable {
  const specs: MethodTable = {};
  for (const [name, impl] of Object.entries(table) as [M, MethodImpl<M>][]) {
    specs[name] = {
      params: METHODS[name].params,
      handler: impl.handler as MethodSpec["handler"],
    };
  }
  return specs;
}
