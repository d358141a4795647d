import { assert, assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { GatewayError } from "../../../core/errors.ts";
import { startTestGateway } from "../../_helpers/gateway.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";
import { ManualClock } from "../../_helpers/manual_clock.ts";

interface Code {
  code: string;
  expiresInMs: number;
}
interface Paired {
  paired: boolean;
  deviceId: string;
  token: string;
}

Deno.test("device pairing: the new token connects, a reused code fails, a revoked device is cut off", async () => {
  await using gw = await startTestGateway({ config: { devices: { codeTtlMs: 120_000 } } });
  const owner = await gw.connect();
  const { code, expiresInMs } = await owner.request("device.initiate", {
    deviceName: "phone",
  });
  assertMatch(code, /^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$/);
  assertEquals(expiresInMs, 120_000);

  const paired = await owner.request("device.complete", {
    code: code.toLowerCase(),
    response: "accept",
  });
  assertEquals(paired.paired, true);
  assert(paired.paired);
  assertMatch(paired.token, /^pcd_[A-Za-z0-9_-]{43}$/);

  const device = await gw.connect({ token: paired.token, clientName: "phone" });
  const health = await device.request("health");
  assertEquals(health.status, "ok");

  const reused = await assertRejects(
    () => owner.request("device.complete", { code, response: "accept" }),
    GatewayError,
  );
  assertEquals(reused.code, "INVALID_PARAMS");

  const stored = await Deno.readTextFile(gw.paths.pairingsFile);
  assert(!stored.includes(paired.token), "the token itself is never stored");
  assertEquals((await Deno.stat(gw.paths.pairingsFile)).mode! & 0o777, 0o600);
  const list = await owner.request(
    "device.list",
  );
  assertEquals(list.devices.map((d) => [d.deviceId, d.deviceName]), [[paired.deviceId, "phone"]]);

  assertEquals(await owner.request("device.revoke", { deviceId: paired.deviceId }), {
    revoked: true,
    deviceId: paired.deviceId,
  });
  // The device's open connection is closed too, not only its next connect; the owner's stays.
  assertEquals((await device.closed).code, 1008);
  assertEquals((await owner.request("health")).status, "ok");
  const refused = await assertRejects(() => gw.connect({ token: paired.token }), GatewayError);
  assertEquals(refused.code, "AUTH_REQUIRED");
  const unknown = await assertRejects(
    () => owner.request("device.revoke", { deviceId: paired.deviceId }),
    GatewayError,
  );
  assertEquals(unknown.code, "NOT_FOUND");
});

Deno.test("device.complete refuses an expired code and a rejected one is spent", async () => {
  const clock = new ManualClock();
  await using gw = await startInProcessGateway({ clock, config: { devices: { codeTtlMs: 50 } } });
  const owner = await gw.connect();
  const { code } = await owner.request("device.initiate", { deviceName: "tablet" });
  await clock.advance(51);
  const expired = await assertRejects(
    () => owner.request("device.complete", { code, response: "accept" }),
    GatewayError,
  );
  assertEquals(expired.code, "INVALID_PARAMS");

  await gw.configStore.set("devices.codeTtlMs", 60_000);
  const second = await owner.request("device.initiate", { deviceName: "tablet" });
  assertEquals(
    await owner.request("device.complete", { code: second.code, response: "reject" }),
    { paired: false },
  );
  const spent = await assertRejects(
    () => owner.request("device.complete", { code: second.code, response: "accept" }),
    GatewayError,
  );
  assertEquals(spent.code, "INVALID_PARAMS");
  const bad = await assertRejects(
    () => owner.request("device.complete", { code: second.code, response: "maybe" }),
    GatewayError,
  );
  assertEquals(bad.code, "INVALID_PARAMS");
});

Deno.test("device.complete is rate limited after repeated wrong codes", async () => {
  await using gw = await startTestGateway();
  const owner = await gw.connect();
  const { code } = await owner.request("device.initiate", { deviceName: "laptop" });
  for (let i = 0; i < 5; i++) {
    const wrong = await assertRejects(
      () => owner.request("device.complete", { code: "AAAA-AAAA", response: "accept" }),
      GatewayError,
    );
    assertEquals(wrong.code, "INVALID_PARAMS");
  }
  const limited = await assertRejects(
    () => owner.request("device.complete", { code, response: "accept" }),
    GatewayError,
  );
  assertEquals(limited.code, "RATE_LIMITED");
  assert((limited.details?.retryAfterMs as number) > 0);
});

Deno.test("POST /v1/devices/complete pairs a device that has no credentials yet", async () => {
  await using gw = await startTestGateway();
  const owner = await gw.connect();
  const { code } = await owner.request("device.initiate", { deviceName: "kiosk" });
  const post = (body: unknown) =>
    fetch(`${gw.baseUrl}/v1/devices/complete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const wrong = await post({ code: "ZZZZ-ZZZZ", response: "accept" });
  assertEquals(wrong.status, 400);
  assertEquals((await wrong.json()).error.code, "INVALID_PARAMS");
  const ok = await post({ code, response: "accept" });
  assertEquals(ok.status, 200);
  const paired = await ok.json() as Paired;
  assertEquals(paired.paired, true);
  const device = await gw.connect({ token: paired.token });
  assertEquals((await device.request("health")).status, "ok");
});
