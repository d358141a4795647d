import { assert, assertEquals, waitFor } from "../_helpers/assert.ts";
import { validateConfig } from "../../core/config/load.ts";
import { Logger, readLastLines } from "../../core/logger.ts";
import type { Transport } from "../../core/protocol/transport.ts";
import { AuthFailureLimiter } from "../../server/auth.ts";
import { Connection } from "../../server/connection.ts";
import type { RpcContext } from "../../server/context.ts";
import { Dispatcher } from "../../server/dispatcher.ts";

/** A transport whose peer never reads: everything sent stays buffered. */
function stalledTransport() {
  const sent: string[] = [];
  let buffered = 0;
  let closedWith: number | undefined;
  const transport: Transport = {
    send(text) {
      sent.push(text);
      buffered += text.length;
    },
    close(code = 1000) {
      closedWith = code;
    },
    get bufferedAmount() {
      return buffered;
    },
  };
  return { transport, sent, closedWith: () => closedWith };
}

Deno.test("Connection closes a client that stops reading once its send buffer passes the limit", async () => {
  const config =
    validateConfig({ gateway: { auth: { mode: "none" }, limits: { maxBufferedBytes: 4096 } } }, {})
      .config;
  const logger = new Logger({ consoleLevel: "silent" });
  let closed = false;
  const { transport, sent, closedWith } = stalledTransport();
  const connection = new Connection(transport, { address: "127.0.0.1", local: true }, {
    dispatcher: new Dispatcher([], logger),
    auth: () => ({ mode: "none" }),
    authLimiter: new AuthFailureLimiter(() => 5),
    config: () => config,
    logger,
    context: () => ({}) as RpcContext,
    onAuthenticated: () => {},
    onClose: () => (closed = true),
  });
  transport.onmessage!(JSON.stringify({ type: "req", id: "1", method: "connect", params: {} }));
  await waitFor(() => sent.length > 0, 20_000, "the answer to connect");
  assert(connection.authenticated);
  const run = { sessionId: "s1", agentId: "main" };
  for (let i = 0; i < 100 && !closed; i++) {
    connection.sendEvent("chat.delta", { ...run, delta: "x".repeat(200), role: "assistant" });
  }
  assert(closed, "the connection was closed");
  assertEquals(closedWith(), 1008);
  // Memory stays bounded: nothing more is queued after the close.
  const count = sent.length;
  connection.sendEvent("chat.delta", { ...run, delta: "more", role: "assistant" });
  assertEquals(sent.length, count);
  assert(count < 30);
});

Deno.test("Logger rotates its file by size and keeps the configured number of files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/logs/pyclaw.log`;
    const logger = new Logger({ file, consoleLevel: "silent", maxFileBytes: 2_000, maxFiles: 2 });
    for (let i = 0; i < 100; i++) {
      logger.info("line", { i, apiKey: "sk-secret", pad: "y".repeat(50) });
    }
    logger.close();
    const names = [...Deno.readDirSync(`${dir}/logs`)].map((e) => e.name).sort();
    assertEquals(names, ["pyclaw.log", "pyclaw.log.1", "pyclaw.log.2"]);
    for (const name of names) assert(Deno.statSync(`${dir}/logs/${name}`).size <= 2_000);
    const last = await readLastLines(file, 1);
    const record = JSON.parse(last[0]);
    assertEquals(record.i, 99);
    assertEquals(record.apiKey, "__PYCLAW_REDACTED__");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
