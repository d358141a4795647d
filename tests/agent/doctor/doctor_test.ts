import { join } from "node:path";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { statePaths } from "../../../core/paths.ts";
import {
  DOCTOR_CHECKS,
  type DoctorCheck,
  type DoctorCheckEntry,
  type DoctorInput,
  runDoctor,
} from "../../../agent/doctor/doctor.ts";
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
    const entry = DOCTOR_CHECKS.find((c) => c.run === checkBackups)!;
    const report = await runDoctor(input, [entry]);
    assertEquals(report.checks.length, 1);
    const [check] = report.checks;
    assertEquals([check.status, check.id, check.name], ["fail", "backups", "Backups"]);
    assert(check.message.startsWith("Check failed: "), check.message);
  });
});

Deno.test("doctor reports every check under one id and title, whether it answers or throws", async () => {
  await withState(async (input) => {
    assertEquals(new Set(DOCTOR_CHECKS.map((c) => c.id)).size, DOCTOR_CHECKS.length);
    for (const entry of DOCTOR_CHECKS) {
      // What it finds on a fresh state dir: nothing (a check of something not configured) or
      // a finding under the entry's id and title.
      const found = (await runDoctor(input, [entry])).checks;
      assert(
        found.length === 0 || found.some((c) => c.id === entry.id && c.name === entry.title),
        `${entry.id}: ${JSON.stringify(found.map((c) => [c.id, c.name]))}`,
      );
      const throwing = { ...entry, run: () => Promise.reject(new Error("broken")) };
      const [failed] = (await runDoctor(input, [throwing])).checks;
      assertEquals(
        [failed.id, failed.name, failed.status, failed.message],
        [entry.id, entry.title, "fail", "Check failed: broken"],
      );
    }
  });
});

Deno.test("doctor runs its timed checks alone before the others, and reports in table order", async () => {
  await withState(async (input) => {
    let timedDone = false;
    let sawTimedDone: boolean | undefined;
    const finding = (id: string): DoctorCheck => ({ id, name: id, status: "ok", message: id });
    const checks: DoctorCheckEntry[] = [
      {
        id: "busy",
        title: "busy",
        run: () => {
          // Stands for a check whose synchronous work would stall a probe's timeout.
          sawTimedDone = timedDone;
          return Promise.resolve(finding("busy"));
        },
      },
      {
        id: "probe",
        title: "probe",
        timed: true,
        run: async () => {
          await new Promise((resolve) => setTimeout(resolve, 0));
          timedDone = true;
          return finding("probe");
        },
      },
    ];
    const report = await runDoctor(input, checks);
    assertEquals(sawTimedDone, true);
    assertEquals(report.checks.map((c) => c.id), ["busy", "probe"]);
    // The gateway probe is such a check.
    assertEquals(DOCTOR_CHECKS.filter((c) => c.timed).map((c) => c.id), ["gateway.reachable"]);
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
