import { z } from "zod";
import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { GatewayError } from "../../core/errors.ts";
import { Logger } from "../../core/logger.ts";
import type { RpcContext } from "../../server/context.ts";
import { Dispatcher } from "../../server/dispatcher.ts";
import type { MethodTable } from "../../server/method_table.ts";

const logger = new Logger({ consoleLevel: "silent" });
const ctx = { signal: new AbortController().signal } as RpcContext;
const table: MethodTable = {
  health: { params: z.object({}), handler: () => ({ status: "ok" }) },
};

Deno.test("dispatcher loads lazily given tables once, on the first call, and then routes", async () => {
  let loads = 0;
  const dispatcher = new Dispatcher(() => {
    loads++;
    return Promise.resolve([table]);
  }, logger);
  assertEquals(loads, 0);
  const answers = await Promise.all([
    dispatcher.dispatch("health", {}, ctx),
    dispatcher.dispatch("health", {}, ctx),
  ]);
  assertEquals(answers, [{ status: "ok" }, { status: "ok" }]);
  assertEquals(loads, 1);
  const error = await assertRejects(() => dispatcher.dispatch("nope", {}, ctx), GatewayError);
  assertEquals(error.code, "METHOD_NOT_FOUND");
  assertEquals(dispatcher.methodNames.includes("health"), true);
});

Deno.test("dispatcher tries a failed load of its tables again on the next call", async () => {
  let loads = 0;
  const dispatcher = new Dispatcher(
    () => ++loads === 1 ? Promise.reject(new Error("disk hiccup")) : Promise.resolve([table]),
    logger,
  );
  await assertRejects(() => dispatcher.dispatch("health", {}, ctx), Error, "disk hiccup");
  assertEquals(await dispatcher.dispatch("health", {}, ctx), { status: "ok" });
});
