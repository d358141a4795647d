/**
 * @module The shape of the wire contract: a method is a params schema and a result schema, an
 * event is a payload schema, each with a one-line summary for the generated docs.
 */

import type { z } from "zod";

/** One RPC method's contract. */
export interface MethodContract<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  /** One line for the docs' method table. */
  summary: string;
  /** What the client sends; the dispatcher parses with it before the handler runs. */
  params: P;
  /** What the handler answers; tests validate every answer that crosses the wire against it. */
  result: R;
}

/** One event's contract. */
export interface EventContract<P extends z.ZodType = z.ZodType> {
  summary: string;
  payload: P;
}

/**
 * Declares a family of method contracts, keeping each entry's exact schema types.
 *
 * @example
 * ```ts
 * export const healthContract = methods({
 *   health: { summary: "Is the gateway up", params: z.object({}), result: z.object({ status: z.string() }) },
 * });
 * ```
 */
export function methods<const T extends Record<string, MethodContract>>(table: T): T {
  return table;
}

/** Declares a family of event contracts, keeping each entry's exact schema types. */
export function events<const T extends Record<string, EventContract>>(table: T): T {
  return table;
}
