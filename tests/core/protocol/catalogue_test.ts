import { z } from "zod";
import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import {
  assertNoContractDrift,
  contractCheckedTransport,
  contractDrift,
} from "../../_helpers/contract.ts";
import { GatewayClient } from "../../../core/protocol/client.ts";
import { EVENTS } from "../../../core/protocol/events.ts";
import { METHODS, NOT_IMPLEMENTED_METHODS } from "../../../core/protocol/methods.ts";
import { createLinkedPair } from "../../../core/protocol/transport.ts";
import { GatewayError } from "../../../core/errors.ts";
import { Logger } from "../../../core/logger.ts";
import { Dispatcher } from "../../../server/dispatcher.ts";
import { METHOD_TABLES } from "../../../server/rpc_tables.ts";

Deno.test("the catalogue and the server's method tables name the same methods", () => {
  const served = new Dispatcher(METHOD_TABLES, new Logger({ consoleLevel: "silent" })).methodNames;
  const declared = [...Object.keys(METHODS), ...NOT_IMPLEMENTED_METHODS].sort();
  assertEquals(served, declared);
});

Deno.test("every method and event in the catalogue has a summary and object-shaped schemas", () => {
  for (const [name, contract] of Object.entries(METHODS)) {
    assert(contract.summary.length > 0, name);
    assertEquals(
      z.toJSONSchema(contract.params, { io: "input", unrepresentable: "any" }).type,
      "object",
      name,
    );
  }
  for (const [name, contract] of Object.entries(EVENTS)) {
    assert(contract.summary.length > 0, name);
    assertEquals(z.toJSONSchema(contract.payload).type, "object", name);
  }
});

Deno.test("contractDrift reports a wrong type, a missing field and an undeclared field", () => {
  const result = METHODS["sessions.delete"].result;
  assertEquals(contractDrift(result, { deleted: true, path: "/x" }), undefined);
  assertMatch(contractDrift(result, { deleted: "yes", path: "/x" })!, /deleted/);
  assertMatch(contractDrift(result, { deleted: true })!, /path/);
  assertMatch(
    contractDrift(result, { deleted: true, path: "/x", extra: 1 })!,
    /undeclared fields: extra/,
  );
  const list = METHODS["sessions.list"].result;
  assertMatch(
    contractDrift(list, {
      sessions: [{
        agentId: "main",
        sessionId: "s",
        file: "s.jsonl",
        path: "/s",
        size: 1,
        updatedAt: null,
        bytes: 1,
      }],
    })!,
    /sessions\[0\]\.bytes/,
  );
});

Deno.test("a checked client turns a drifting result into an error and records a drifting event", async () => {
  const [clientSide, serverSide] = createLinkedPair();
  serverSide.onmessage = (text) => {
    const frame = JSON.parse(text);
    const payload = frame.method === "connect"
      ? { protocol: 3, server: { name: "pyclaw", version: "0" } }
      : { status: "ok", uptime: 1 }; // `connections` is missing
    serverSide.send(JSON.stringify({ type: "res", id: frame.id, ok: true, payload }));
    if (frame.method === "health") {
      serverSide.send(
        JSON.stringify({ type: "event", event: "presence", seq: 1, payload: { count: 1 } }),
      );
    }
  };
  const client = await GatewayClient.over(contractCheckedTransport(clientSide));
  const error = await assertRejects(() => client.request("health"), GatewayError);
  assertMatch(error.message, /Contract drift: the result of health .*connections/);
  const thrown = (() => {
    try {
      assertNoContractDrift();
    } catch (error) {
      return error as Error;
    }
  })();
  assertMatch(thrown?.message ?? "", /event presence: .*connections/);
  client.close();
  await client.closed;
});
