import { join } from "node:path";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { statePaths } from "../../../core/paths.ts";
import { type DoctorInput, runDoctor } from "../../../agent/doctor/doctor.ts";
import { checkBackups } from "../../../agent/doctor/operations_checks.ts";
import { checkConfig } from "../../../agent/doctor/core_checks.ts";

async function withState(fn: (input: DoctorInput, root: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-doctor-" });
  try {
    await fn({
      configPath: join(root, "pyclaw.json"),
      config: configSchema().parse({}),
      paths: statePaths(root),
      env: {},
    }, root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("doctor names a check that throws by what it checks, not by its function", async () => {
  await withState(async (input, root) => {
    await Deno.writeTextFile(join(root, "backups"), "not a folder");
    const report = await runDoctor(input, [checkBackups]);
    assertEquals(report.checks.length, 1);
    const [check] = report.checks;
    assertEquals([check.status, check.name], ["fail", "Backups"]);
    assert(check.message.startsWith("Check failed: "), check.message);
  });
});

Deno.test("doctor config check: a syntax error names no key, and the hint does not point at one", async () => {
  await withState(async (input) => {
    const [syntax] = await checkConfig({
      ...input,
      config: undefined,
      configIssues: [{ path: "", message: "JSON5: invalid character 'x' at 1:3" }],
    });
    assertEquals(syntax.status, "fail");
    assert(!syntax.hint?.includes("keys named above"), syntax.hint);
    assert(syntax.hint?.startsWith("Fix the file itself"), syntax.hint);
    const [keyed] = await checkConfig({
      ...input,
      config: undefined,
      configIssues: [{ path: "gateway.port", message: "Expected number" }],
    });
    assert(keyed.hint?.startsWith("Fix the keys named above"), keyed.hint);
  });
});
