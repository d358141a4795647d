import { assert, assertEquals, assertRejects, waitFor } from "../../_helpers/assert.ts";
import { GatewayError } from "../../../core/errors.ts";
import type { EventPayload } from "../../../core/protocol/events.ts";
import { startTestGateway } from "../../_helpers/gateway.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";

Deno.test("system.info reports platform, uptime, version and the Deno runtime", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const info = await client.request("system.info");
  assertEquals(info.platform, Deno.build.os);
  assert(typeof info.uptime === "number");
  assertEquals(info.runtime.name, "deno");
  assertEquals(info.runtime.version, Deno.version.deno);
  assert(typeof info.version === "string");
});

Deno.test("health.check (openclaw-py's probe) answers like health", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const probe = await client.request("health.check", {});
  const health = await client.request("health");
  assertEquals(probe.status, "ok");
  assertEquals(Object.keys(probe).sort(), Object.keys(health).sort());
});

Deno.test("system.presence lists each connected client and the running channels", async () => {
  await using gw = await startInProcessGateway();
  const a = await gw.connect({ clientName: "app-a" });
  await gw.connect({ clientName: "app-b" });
  const { entries } = await a.request(
    "system.presence",
  );
  const clients = entries.filter((e) => e.kind === "client");
  assertEquals(clients.map((e) => e.clientName).sort(), ["app-a", "app-b"]);
  assertEquals(entries.filter((e) => e.kind === "channel").map((e) => e.id), ["webchat"]);
  for (const entry of clients) {
    assertEquals(entry.address, "127.0.0.1");
    assertEquals(entry.protocol, 3);
    assert(!Number.isNaN(Date.parse(entry.connectedAt)));
  }
});

Deno.test("system.event queues the text and broadcasts it; heartbeat.last answers", async () => {
  await using gw = await startInProcessGateway();
  const a = await gw.connect();
  const b = await gw.connect();
  const got: EventPayload<"system.event">[] = [];
  b.onEvent((frame) => frame.event === "system.event" && got.push(frame.payload));
  const reply = await a.request("system.event", { text: "Backup finished", mode: "now" });
  assertEquals(reply, { ok: true, eventType: "system", mode: "now" });
  assertEquals(
    (await a.request("system.event", { text: "later" })).mode,
    "next-heartbeat",
  );
  await waitFor(() => got.length === 2);
  assertEquals(got[0].text, "Backup finished");
  assertEquals(gw.gateway.services.systemEvents.pending.length, 2);
  const empty = await assertRejects(() => a.request("system.event", { text: "   " }), GatewayError);
  assertEquals(empty.code, "INVALID_PARAMS");
  const badMode = await assertRejects(
    () => a.request("system.event", { text: "x", mode: "soon" }),
    GatewayError,
  );
  assertEquals(badMode.code, "INVALID_PARAMS");
  assertEquals(await a.request("system.heartbeat.last"), { enabled: false, lastHeartbeatAt: null });
});

Deno.test("logs.tail returns the log file's path and lines; system.logs filters by level", async () => {
  await using gw = await startTestGateway();
  const client = await gw.connect();
  // Produce records at several levels: a failed auth logs a warning.
  await assertRejects(() => gw.connect({ token: "wrong" }), GatewayError);
  await client.request("config.set", { key: "logging.level", value: "debug" });
  const tail = await client.request("logs.tail", {
    limit: 50,
  });
  assertEquals(tail.path, gw.paths.logFile);
  assertEquals(tail.count, tail.lines.length);
  assert(tail.lines.some((line) => line.includes("gateway listening")));
  const json = await client.request("logs.tail", { limit: 2, json: true });
  assertEquals(json.lines.length, 2);
  for (const line of json.lines) assert(typeof JSON.parse(line).level === "string");
  const warnings = await client.request(
    "system.logs",
    {
      level: "warn",
    },
  );
  assert(warnings.count >= 1);
  assert(warnings.logs.every((record) => record.level === "warn" || record.level === "error"));
  assert(warnings.logs.some((record) => record.msg === "authentication failed"));
  const badLimit = await assertRejects(
    () => client.request("logs.tail", { limit: 0 }),
    GatewayError,
  );
  assertEquals(badLimit.code, "INVALID_PARAMS");
});

Deno.test("usage.get sums recorded usage by day and model", async () => {
  await using gw = await startInProcessGateway();
  const client = await gw.connect();
  const empty = await client.request("usage.get");
  assertEquals(empty.totalTokens, 0);
  assertEquals(empty.estimatedCost, 0);
  await gw.gateway.services.usage.record({
    provider: "openai",
    model: "gpt-4o",
    promptTokens: 20,
    completionTokens: 10,
    cost: 0.001,
  });
  await gw.gateway.services.usage.record({
    provider: "openai",
    model: "gpt-4o",
    promptTokens: 5,
    completionTokens: 5,
  });
  await gw.gateway.services.usage.record({
    provider: "openai",
    model: "old",
    promptTokens: 1000,
    completionTokens: 0,
    time: "2020-01-01T00:00:00.000Z",
  });
  const usage = await client.request(
    "usage.get",
    { days: 7 },
  );
  assertEquals(usage.totalTokens, 40);
  assertEquals(usage.estimatedCost, 0.001);
  assertEquals(usage.byModel.length, 1);
  assertEquals(usage.byDay.length, 1);
  const bad = await assertRejects(() => client.request("usage.get", { days: -1 }), GatewayError);
  assertEquals(bad.code, "INVALID_PARAMS");
});

Deno.test("update.check compares with the registry's latest version", async () => {
  const registry = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/pyclaw/latest") {
      return Response.json({ name: "pyclaw", version: "99.0.0" });
    }
    if (url.pathname === "/slow/latest") {
      // Answers only once the client has given up.
      return new Promise((resolve) =>
        request.signal.addEventListener("abort", () => resolve(new Response("late")))
      );
    }
    return new Response("not found", { status: 404 });
  });
  try {
    const base = `http://127.0.0.1:${registry.addr.port}`;
    await using gw = await startInProcessGateway({ config: { update: { registry: base } } });
    const client = await gw.connect();
    const newer = await client.request(
      "update.check",
    );
    assertEquals(newer.updateAvailable, true);
    assertEquals(newer.latestVersion, "99.0.0");

    await client.request("config.patch", {
      patch: { update: { packageName: "slow", timeoutMs: 300 } },
    });
    const started = Date.now();
    const slow = await client.request("update.check");
    // The registry never answers: only the 300 ms limit ends the check (well within 10 s, also
    // on a loaded machine).
    assert(Date.now() - started < 10_000);
    assertEquals(slow.updateAvailable, false);
    assert(slow.reason?.includes("did not answer"), slow.reason);

    await client.request("config.patch", {
      patch: { update: { registry: "http://127.0.0.1:9", timeoutMs: 3000 } },
    });
    const offline = await client.request(
      "update.check",
    );
    assertEquals(offline.updateAvailable, false);
    assert(offline.reason && offline.reason.length > 0);

    await client.request("config.patch", { patch: { update: { enabled: false } } });
    const off = await client.request("update.check");
    assert(off.reason?.includes("turned off"));
  } finally {
    await registry.shutdown();
  }
});

Deno.test("web.status counts web clients", async () => {
  await using gw = await startInProcessGateway();
  const cli = await gw.connect({ clientName: "cli" });
  assertEquals((await cli.request("web.status")).connected, false);
  await gw.connect({ clientName: "pyclaw-control-ui/1.0" });
  const status = await cli.request(
    "web.status",
  );
  assertEquals(status.connected, true);
  assertEquals(status.clients, 1);
  assert(status.uptime >= 0);
});

Deno.test("doctor.run returns checks and a summary", async () => {
  await using gw = await startInProcessGateway({ config: { gateway: { typo: 1 } } });
  const client = await gw.connect();
  const report = await client.request(
    "doctor.run",
  );
  const ids = report.checks.map((check) => check.id);
  for (const id of ["config.valid", "config.unknownKeys", "state.writable", "gateway.auth"]) {
    assert(ids.includes(id), id);
  }
  assertEquals(report.checks.find((c) => c.id === "config.unknownKeys")?.status, "warn");
  assertEquals(report.checks.find((c) => c.id === "gateway.auth")?.status, "ok");
});
