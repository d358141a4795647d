import { join } from "node:path";
import { assert, assertEquals, assertRejects, waitFor } from "../_helpers/assert.ts";
import { GatewayError } from "../../core/errors.ts";
import { startTestGateway } from "../_helpers/gateway.ts";
import { sameCredentials } from "../../server/auth_reload.ts";

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) =>
      timer = setTimeout(() => reject(new Error(`Timed out: ${what}`)), ms)
    ),
  ]);
}

Deno.test("a rewritten token file swaps the gateway token, closes what the old one opened, keeps devices", async () => {
  await using gw = await startTestGateway({ authToken: null });
  const oldToken = gw.token!;
  const owner = await gw.connect();
  const { code } = await owner.request("device.initiate", {
    deviceName: "phone",
  });
  const paired = await owner.request("device.complete", { code, response: "accept" });
  assert(paired.paired);
  const deviceToken = paired.token;
  const device = await gw.connect({ token: deviceToken });

  await Deno.writeTextFile(join(gw.stateDir, "gateway.token"), "rotated-token-0123456789abcdef\n");
  const closed = await within(owner.closed, 20_000, "the owner's connection closes");
  assertEquals(closed, { code: 1008, reason: "credentials rotated" });
  await waitFor(
    () => gw.gateway.auth.mode === "token" && gw.gateway.auth.token.startsWith("rotated"),
    20_000,
    "new token in force",
  );

  const refused = await assertRejects(() => gw.connect({ token: oldToken }), GatewayError);
  assertEquals(refused.code, "AUTH_REQUIRED");
  const fresh = await gw.connect({ token: "rotated-token-0123456789abcdef" });
  assertEquals((await fresh.request("health")).status, "ok");
  // The paired device connected with its own token and stays.
  assertEquals((await device.request("health")).status, "ok");
});

Deno.test("an unsafe auth change is refused and the current credentials stay", async () => {
  await using gw = await startTestGateway({
    authToken: null,
    watch: true,
    config: { gateway: { auth: { token: "first-token-0123456789" } } },
  });
  const client = await gw.connect({ token: "first-token-0123456789" });
  // Password mode without a password cannot be resolved: the gateway keeps the token.
  const config = JSON.parse(await Deno.readTextFile(gw.configPath));
  await Deno.writeTextFile(
    gw.configPath,
    JSON.stringify({ ...config, gateway: { auth: { mode: "password" } } }),
  );
  await waitFor(
    () => gw.configStore.current.gateway.auth.mode === "password",
    20_000,
    "config reloaded",
  );
  // The refusal is logged once the reload has been judged.
  await waitFor(
    async () =>
      (await Deno.readTextFile(gw.paths.logFile)).includes("new gateway credentials refused"),
    20_000,
    "the refusal in the log",
  );
  assertEquals(gw.gateway.auth.mode, "token");
  assertEquals((await client.request("health")).status, "ok");
});

Deno.test("sameCredentials compares mode and secret", () => {
  const token = (t: string) => ({ mode: "token" as const, token: t, source: "file" as const });
  assertEquals(sameCredentials(token("a"), token("a")), true);
  assertEquals(sameCredentials(token("a"), token("b")), false);
  assertEquals(sameCredentials(token("a"), { mode: "none" }), false);
  assertEquals(
    sameCredentials({ mode: "password", password: "x", source: "config" }, {
      mode: "password",
      password: "x",
      source: "env",
    }),
    true,
  );
});

Deno.test({
  name:
    "a loose token file copied in while the gateway runs is made owner-only, and the log says so",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    await using gw = await startTestGateway({ authToken: null });
    const file = join(gw.stateDir, "gateway.token");
    // Copied in: written elsewhere under a loose mode, then moved into place.
    const copy = join(gw.stateDir, "copied.tmp");
    await Deno.writeTextFile(copy, "copied-token-0123456789abcdef\n");
    await Deno.chmod(copy, 0o644);
    await Deno.rename(copy, file);
    await waitFor(
      () => gw.gateway.auth.mode === "token" && gw.gateway.auth.token.startsWith("copied"),
      20_000,
      "the copied token in force",
    );
    assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    await waitFor(
      async () =>
        (await Deno.readTextFile(gw.paths.logFile)).includes(
          "the gateway token file was readable by others: made it owner-only",
        ),
      20_000,
      "the warning in the log",
    );
    assert((await Deno.readTextFile(gw.paths.logFile)).includes("0644"));
  },
});
