/** @module Method lookup, params validation and error mapping for every RPC method. */

import type { z } from "zod";
import { ErrorCode, GatewayError, isGatewayError } from "../core/errors.ts";
import { loadOnce } from "../core/lazy_module.ts";
import type { Logger } from "../core/logger.ts";
import { NOT_IMPLEMENTED_METHODS } from "../core/protocol/not_implemented.ts";
import type { RpcContext } from "./context.ts";
import type { MethodSpec, MethodTable } from "./method_table.ts";
import { authorizeMethod } from "./method_scopes.ts";

export { NOT_IMPLEMENTED_METHODS };

/** The method tables, or what loads them: the gateway imports its families on the first call. */
export type MethodTables = MethodTable[] | (() => Promise<MethodTable[]>);

/** Routes a method name to its handler, validating params on the way. */
export class Dispatcher {
  #methods = new Map<string, MethodSpec>();
  #logger: Logger;
  /** Set while the tables given as a loader are still to load. */
  #ready: (() => Promise<void>) | undefined;

  constructor(tables: MethodTables, logger: Logger) {
    this.#logger = logger;
    if (typeof tables !== "function") this.#add(tables);
    else {
      this.#ready = loadOnce(async () => {
        this.#add(await tables());
        this.#ready = undefined;
      });
    }
  }

  #add(tables: MethodTable[]): void {
    for (const table of tables) {
      for (const [name, spec] of Object.entries(table)) {
        if (this.#methods.has(name)) throw new Error(`Method registered twice: ${name}`);
        this.#methods.set(name, spec);
      }
    }
  }

  /**
   * Loads tables given as a loader, once. The families' modules, their schemas and what their
   * handlers import stay off the gateway's start-up; the first call after start pays for them.
   */
  ready(): Promise<void> {
    return this.#ready?.() ?? Promise.resolve();
  }

  /**
   * Every method name a client may call, `connect` and the not-implemented ones included.
   * @throws {Error} before `ready()` when the tables load lazily
   */
  get methodNames(): string[] {
    if (this.#ready) throw new Error("The method tables are not loaded: await ready() first");
    return ["connect", ...this.#methods.keys(), ...NOT_IMPLEMENTED_METHODS].sort();
  }

  /**
   * Runs `method` with `params`.
   *
   * @throws {GatewayError} always a GatewayError: the handler's own, AUTH_REQUIRED for a device
   * whose role does not cover the method, INVALID_PARAMS for params
   * that fail the schema, METHOD_NOT_FOUND, NOT_IMPLEMENTED, or INTERNAL_ERROR for anything else
   */
  async dispatch(method: string, params: unknown, ctx: RpcContext): Promise<unknown> {
    if (this.#ready) await this.ready();
    const spec = this.#methods.get(method);
    if (!spec) {
      if ((NOT_IMPLEMENTED_METHODS as readonly string[]).includes(method)) {
        throw new GatewayError(ErrorCode.NOT_IMPLEMENTED, `Method ${method} is not implemented`);
      }
      throw new GatewayError(ErrorCode.METHOD_NOT_FOUND, `Unknown method: ${method}`);
    }
    // Only a paired device's role limits what it may call (one promise hop spared for the rest).
    if (ctx.credential?.kind === "device") await authorizeMethod(method, ctx);
    const parsed = spec.params.safeParse(params ?? {});
    if (!parsed.success) throw invalidParams(method, parsed.error);
    try {
      return await spec.handler(parsed.data, ctx);
    } catch (error) {
      if (isGatewayError(error)) throw error;
      if (ctx.signal.aborted) throw new GatewayError(ErrorCode.ABORTED, `${method} was aborted`);
      this.#logger.error("handler failed", { method, connId: ctx.connId, error });
      throw new GatewayError(ErrorCode.INTERNAL_ERROR, `Internal error in ${method}`);
    }
  }
}

function invalidParams(method: string, error: z.ZodError): GatewayError {
  const issues = error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "<params>",
    message: issue.message,
  }));
  const text = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
  return new GatewayError(ErrorCode.INVALID_PARAMS, `Invalid params for ${method}: ${text}`, {
    issues,
  });
}
