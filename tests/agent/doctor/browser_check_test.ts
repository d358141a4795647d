import { assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { statePaths } from "../../../core/paths.ts";
import { checkBrowser } from "../../../agent/doctor/browser_check.ts";
import { DOCTOR_CHECKS, type DoctorInput } from "../../../agent/doctor/doctor.ts";

function input(browser: Record<string, unknown>, env: Record<string, string> = {}): DoctorInput {
  return {
    configPath: "/tmp/pyclaw.json",
    config: configSchema().parse({ browser }),
    paths: statePaths("/tmp/pyclaw-doctor"),
    env,
  };
}

Deno.test("doctor browser check reports the installed Chromium and its version", async () => {
  const check = await checkBrowser(input({ executablePath: "/usr/bin/chromium" }));
  assertEquals(check.id, "browser.executable");
  assertEquals(check.status, "ok");
  assertMatch(check.message, /^Chromium \d+\.[\d.]+ .*at \/usr\/bin\/chromium \(from config\)$/);
});

Deno.test("doctor browser check warns with install advice when no browser is found", async () => {
  const check = await checkBrowser(input({}, { PYCLAW_BROWSER_PATH: "/nope/chromium" }));
  assertEquals(check.status, "warn");
  assertMatch(check.message, /PYCLAW_BROWSER_PATH.*\/nope\/chromium/);
  assertMatch(check.hint ?? "", /apt-get install chromium/);
});

Deno.test("doctor browser check is part of the doctor and quiet when browsing is off", async () => {
  assertEquals(DOCTOR_CHECKS.some((c) => c.run === checkBrowser), true);
  const check = await checkBrowser(input({ enabled: false, executablePath: "/nope" }));
  assertEquals(check.status, "ok");
  assertMatch(check.message, /disabled/);
});
