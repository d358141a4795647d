/**
 * @module Fuzzing the frame parser and every method's params against a real gateway: thousands of
 * random and malformed frames; every request with an id gets an answer with a spec code, none is
 * INTERNAL_ERROR, the connection stays open, and memory stays flat. The long run is
 * `scripts/fuzz.ts` (browser family included there).
 */

import { assert, assertEquals } from "../_helpers/assert.ts";
import { startChatGateway } from "../_helpers/chat_gateway.ts";
import { openRawSocket, startTestGateway } from "../_helpers/gateway.ts";
import { METHOD_TABLES } from "../../server/rpc_tables.ts";
import { FUZZ_CONFIG, methodPool, paramKeys, randomValue, realMethodNames, Rng } from "./_fuzz.ts";
import { fuzzSocket, openFuzzSocket } from "./_fuzz_client.ts";

Deno.test("fuzz: thousands of random frames and params all get spec answers and the gateway stays up", async () => {
  await using env = await startChatGateway({ config: FUZZ_CONFIG });
  env.upstream.setDefault({ text: "ok" });
  const methods = realMethodNames();
  assert(methods.includes("chat.send") && methods.length > 50, `methods: ${methods.length}`);
  const options = { methods: methodPool(methods), keys: paramKeys(METHOD_TABLES) };
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? 20261124);
  const rng = new Rng(seed);
  const socket = await openFuzzSocket(env.gw.url, env.gw.token);
  const closed = new Promise((resolve) => socket.addEventListener("close", resolve));
  try {
    // The limit bounds a batch that never completes; about 2 s each is usual on a loaded machine.
    const run = { ...options, batch: 250, timeoutMs: 30_000 };
    // Warm-up: every lazy import and first-use path runs before memory is measured.
    const warm = await fuzzSocket(socket, rng, { ...run, count: 1_000 });
    assertEquals(warm.problems, [], `seed ${seed}`);
    const heapAfterWarmup = Deno.memoryUsage().heapUsed;
    const report = await fuzzSocket(socket, rng, { ...run, count: 3_000, start: 1_000 });
    if (Deno.env.get("FUZZ_VERBOSE")) console.log(JSON.stringify(report, null, 1));
    assertEquals(report.problems, [], `seed ${seed}`);
    assert(report.answered >= 2_500, `answered ${report.answered} of ${report.sent}`);
    assert((report.codes.INVALID_PARAMS ?? 0) > 500, JSON.stringify(report.codes));
    assert((report.codes.ok ?? 0) > 50, JSON.stringify(report.codes));
    // Generous: the heap may move with GC timing, but thousands of requests must not pile up.
    const heapEnd = Deno.memoryUsage().heapUsed;
    assert(
      heapEnd < heapAfterWarmup + 64 * 1024 * 1024,
      `heap grew from ${heapAfterWarmup} to ${heapEnd}`,
    );
    // Still the same open connection, and it still answers.
    const health = new Promise((
      resolve,
    ) => (socket.onmessage = (e) => resolve(JSON.parse(e.data))));
    socket.send(JSON.stringify({ type: "req", id: "last", method: "health" }));
    // deno-lint-ignore no-explicit-any
    const answer = await health as any;
    assertEquals([answer.id, answer.ok], ["last", true]);
  } finally {
    socket.close();
    await closed;
  }
});

Deno.test("fuzz: random bodies to the HTTP API never get a 500", async () => {
  await using env = await startChatGateway({ config: FUZZ_CONFIG });
  env.upstream.setDefault({ text: "ok" });
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? 20261124);
  const rng = new Rng(seed);
  const keys = ["model", "messages", "stream", "input", "tools", "max_tokens", "user", "code"];
  const models = ["fake/gpt-test", "pyclaw", "pyclaw:main", "", "x/y", "../etc"];
  const statuses: Record<number, number> = {};
  const paths = ["/v1/chat/completions", "/v1/responses", "/v1/devices/complete"];
  for (let n = 0; n < 300; n++) {
    const path = rng.pick(paths);
    const body = rng.chance(0.1) ? "{not json" : JSON.stringify(
      rng.chance(0.5)
        ? {
          model: rng.pick(models),
          messages: [{
            role: rng.pick(["user", "system", "tool", "x"]),
            content: randomValue(rng),
          }],
          stream: rng.chance(0.3),
          ...Object.fromEntries([[rng.pick(keys), randomValue(rng)]]),
        }
        : randomValue(rng),
    );
    const response = await fetch(`${env.gw.baseUrl}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${env.gw.token}`, "content-type": "application/json" },
      body,
    });
    await response.text();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    assert(
      response.status < 500,
      `${path} ${body.slice(0, 200)} → ${response.status} (seed ${seed})`,
    );
  }
  assert((statuses[400] ?? 0) > 50, JSON.stringify(statuses));
});

Deno.test("fuzz: random connect handshakes get a spec answer and never INTERNAL_ERROR", async () => {
  await using gw = await startTestGateway({ config: FUZZ_CONFIG });
  const seed = Number(Deno.env.get("FUZZ_SEED") ?? 20261124);
  const rng = new Rng(seed);
  const codes: Record<string, number> = {};
  for (let n = 0; n < 150; n++) {
    const params = rng.chance(0.7)
      ? {
        minProtocol: rng.chance(0.5) ? randomValue(rng) : 3,
        maxProtocol: rng.chance(0.5) ? randomValue(rng) : 3,
        clientName: randomValue(rng),
        auth: rng.chance(0.5)
          ? { token: rng.chance(0.3) ? gw.token : randomValue(rng) }
          : randomValue(rng),
      }
      : randomValue(rng);
    const socket = await openRawSocket(gw.url);
    socket.socket.send(JSON.stringify({ type: "req", id: `c${n}`, method: "connect", params }));
    // deno-lint-ignore no-explicit-any
    const answer = await socket.next() as any;
    const code = answer.ok ? "ok" : answer.error.code;
    codes[code] = (codes[code] ?? 0) + 1;
    assertEquals(answer.id, `c${n}`);
    assert(
      ["ok", "INVALID_PARAMS", "AUTH_REQUIRED"].includes(code),
      `${JSON.stringify(params).slice(0, 200)} → ${code} (seed ${seed})`,
    );
    socket.socket.close();
    await socket.closed;
  }
  assert((codes.INVALID_PARAMS ?? 0) > 20 && (codes.AUTH_REQUIRED ?? 0) > 5, JSON.stringify(codes));
});
