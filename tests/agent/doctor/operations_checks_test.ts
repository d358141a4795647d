import { join } from "node:path";
import { assert, assertEquals } from "../../_helpers/assert.ts";
import { configSchema } from "../../../core/config/schema.ts";
import { statePaths } from "../../../core/paths.ts";
import type { DoctorInput } from "../../../agent/doctor/doctor.ts";
import {
  checkBackups,
  checkCron,
  checkDevices,
  checkTelegram,
} from "../../../agent/doctor/operations_checks.ts";
import { exportBackup } from "../../../agent/backups/backup_store.ts";
import { startFakeTelegram } from "../../_helpers/fake_telegram.ts";

async function withState(fn: (input: (config?: unknown) => DoctorInput) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "pyclaw-doctor-ops-" });
  try {
    const paths = statePaths(root);
    await fn((config = {}) => ({
      configPath: join(root, "pyclaw.json"),
      config: configSchema().parse(config),
      paths,
      env: {},
    }));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("doctor cron check: ok, warn on an unparsable job, fail on a damaged file", async () => {
  await withState(async (input) => {
    const ok = await checkCron(input());
    assertEquals([ok.status, ok.message], ["ok", "0 job(s)"]);
    const { cronDir } = input().paths;
    await Deno.mkdir(cronDir, { recursive: true });
    const job = {
      id: "job_a",
      cron: "0 9 * * *",
      message: "m",
      agentId: "main",
      sessionId: "cron-job_a",
      createdAt: new Date().toISOString(),
    };
    await Deno.writeTextFile(
      join(cronDir, "jobs.json"),
      JSON.stringify({ version: 1, jobs: [job, { ...job, id: "job_b", timezone: "Not/AZone" }] }),
    );
    const warn = await checkCron(input());
    assertEquals(warn.status, "warn");
    assert(warn.message.includes("job_b") && !warn.message.includes("job_a"));
    await Deno.writeTextFile(join(cronDir, "jobs.json"), "{ broken");
    assertEquals((await checkCron(input())).status, "fail");
  });
});

Deno.test("doctor devices and backups checks", async () => {
  await withState(async (input) => {
    assertEquals((await checkDevices(input())).status, "ok");
    await Deno.writeTextFile(input().paths.pairingsFile, '{"version": 1, "devices": "nope"}');
    const bad = await checkDevices(input());
    assertEquals(bad.status, "fail");
    assert(bad.hint?.includes("pair again"));
    assertEquals((await checkBackups(input())).message, "No backups yet");
    await exportBackup({ paths: input().paths, configPath: input().configPath }, { keep: 3 });
    const backups = await checkBackups(input());
    assert(backups.message.startsWith("1 backup(s); the newest is 0 day(s) old"), backups.message);
  });
});

Deno.test("doctor telegram check: token accepted, rejected, missing, and API unreachable", async () => {
  await using telegram = await startFakeTelegram();
  await withState(async (input) => {
    const config = (telegramConfig: Record<string, unknown>) =>
      input({ channels: { telegram: { apiBaseUrl: telegram.url, ...telegramConfig } } });
    assertEquals(await checkTelegram(input()), [], "not configured: nothing to check");
    const [ok] = await checkTelegram(config({ botToken: telegram.token }));
    assertEquals([ok.status, ok.message], ["ok", "Bot API answers as @fakebot"]);
    const [rejected] = await checkTelegram(config({ botToken: "1:wrong" }));
    assertEquals([rejected.status, rejected.message], [
      "fail",
      "The Bot API rejects the bot token",
    ]);
    const [missing] = await checkTelegram(config({}));
    assertEquals(missing.status, "fail");
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = closed.addr.port;
    closed.close();
    const [down] = await checkTelegram(
      input({
        channels: { telegram: { botToken: "1:x", apiBaseUrl: `http://127.0.0.1:${port}` } },
      }),
    );
    assertEquals(down.status, "warn");
    assert(!down.message.includes("1:x"), "the token never shows");
  });
});
