import { assertEquals } from "../_helpers/assert.ts";

const LAUNCHER = new URL("../../scripts/pyclaw", import.meta.url).pathname;

async function doctor(stateDir: string) {
  const output = await new Deno.Command(LAUNCHER, {
    args: ["doctor", "--json"],
    env: { NO_COLOR: "1", PYCLAW_STATE_DIR: stateDir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const report = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    checks: { id: string; status: string }[];
  };
  return {
    code: output.code,
    status: (id: string) => report.checks.find((c) => c.id === id)?.status,
  };
}

Deno.test("pyclaw doctor exits 1 when the device pairings are damaged and 0 once fixed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-doctor-devices-" });
  try {
    await Deno.writeTextFile(`${dir}/devices.json`, "{ not json");
    const bad = await doctor(dir);
    assertEquals([bad.code, bad.status("devices.pairings")], [1, "fail"]);
    assertEquals(bad.status("cron.jobs"), "ok");
    await Deno.writeTextFile(`${dir}/devices.json`, '{ "version": 1, "devices": [] }');
    const good = await doctor(dir);
    assertEquals([good.code, good.status("devices.pairings")], [0, "ok"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
