import { assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { HAS_XVFB, startXvfb } from "../../_helpers/xvfb.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { statePaths } from "../../../core/paths.ts";
import type { DoctorInput } from "../../../agent/doctor/doctor.ts";
import {
  checkDocumentLibraries,
  checkExecPolicy,
  checkExecSandbox,
  checkScreenshot,
} from "../../../agent/doctor/tool_checks.ts";
import { CommandSandbox } from "../../../tools/sandbox/command_sandbox.ts";

const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";

function input(env: Record<string, string>, config: Record<string, unknown> = {}): DoctorInput {
  return {
    configPath: "/nonexistent/pyclaw.json",
    config: configSchema().parse(config),
    paths: statePaths("/nonexistent"),
    env,
  };
}

Deno.test("doctor finds the document libraries, mammoth's subprocess included", async () => {
  const check = await checkDocumentLibraries(input({ PATH }));
  assertEquals(check.status, "ok", check.message);
  assertEquals(check.id, "tools.documents");
});

Deno.test("doctor warns that screenshots need a display, and passes with one", async () => {
  const none = await checkScreenshot(input({ PATH }));
  if (Deno.build.os === "linux") {
    assertEquals(none.status, "warn");
    assertMatch(none.message, /No display to capture/);
  }
  if (HAS_XVFB && Deno.build.os === "linux") {
    await using xvfb = await startXvfb(100, 100);
    const ok = await checkScreenshot(input({ PATH, DISPLAY: xvfb.display }));
    assertEquals(ok.status, "ok", ok.message);
    assertMatch(ok.message, /ImageMagick import \(DISPLAY=:\d+\) \(\/.*import\)/);
  }
});

Deno.test("doctor reports the exec policy and warns about allow", async () => {
  const ask = await checkExecPolicy(input({}));
  assertEquals([ask.status, ask.message], ["ok", "tools.exec.policy is ask"]);
  const allow = await checkExecPolicy(input({}, { tools: { exec: { policy: "allow" } } }));
  assertEquals(allow.status, "warn");
  const patterns = await checkExecPolicy(
    input({}, { tools: { exec: { policy: "deny", allowPatterns: ["ls *"] } } }),
  );
  assertMatch(patterns.message, /deny \(1 allow pattern\(s\) run without asking\)/);
});

Deno.test({
  name: "doctor's sandbox check names agents on the host by the entry the gateway uses",
  ignore: !(await new CommandSandbox({ hidden: [], env: { PATH } }).availability()).available,
  fn: async () => {
    const check = (list: unknown[]) => checkExecSandbox(input({ PATH }, { agents: { list } }));
    const none = { tools: { exec: { sandbox: "none" } } };
    const host = await check([{ id: "a" }, { id: "b", ...none }]);
    assertEquals(host.status, "warn");
    assertMatch(host.message, /on the host for agent\(s\) b$/);
    // A second entry with an id is ignored by the gateway (the first wins), so by the doctor.
    const duplicate = await check([{ id: "a" }, { id: "a", ...none }]);
    assertEquals([duplicate.status, /on the host/.test(duplicate.message)], ["ok", false]);
  },
});
