import { join } from "node:path";
import { assertEquals } from "../../_helpers/assert.ts";
import { DevicePairing, normalizeCode } from "../../../agent/devices/device_pairing.ts";

Deno.test("DevicePairing tokens survive a restart and a damaged file lets nobody in", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-devices-" });
  try {
    const file = join(dir, "devices.json");
    const first = new DevicePairing(file, { codeTtlMs: () => 60_000 });
    const { code } = first.initiate("watch");
    const result = await first.complete(code, "accept", "127.0.0.1");
    if (!result.paired) throw new Error("expected a pairing");
    const second = new DevicePairing(file, { codeTtlMs: () => 60_000 });
    assertEquals(await second.verifyToken(result.token), true);
    assertEquals(await second.verifyToken(result.token + "x"), false);
    assertEquals(await second.verifyToken("test-token"), false);
    await Deno.writeTextFile(file, "{ not json");
    const third = new DevicePairing(file, { codeTtlMs: () => 60_000 });
    assertEquals(await third.verifyToken(result.token), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("normalizeCode accepts codes as people type them", () => {
  assertEquals(normalizeCode("ab1o-il2z"), "AB10112Z");
  assertEquals(normalizeCode(" k7qf m2xd "), "K7QFM2XD");
});
