import { join } from "node:path";
import { unpackTar } from "modern-tar";
import { assert, assertEquals, assertMatch } from "../../_helpers/assert.ts";
import { startInProcessGateway } from "../../_helpers/in_process_gateway.ts";

interface ExportResult {
  path: string;
  files: string[];
  size: number;
}

Deno.test("backup.export writes one tar.gz of config, sessions, cron, plans and pairings", async () => {
  await using gw = await startInProcessGateway({ config: { backup: { keep: 2 } } });
  const { paths } = gw;
  await Deno.mkdir(paths.sessionsDir("main"), { recursive: true });
  await Deno.writeTextFile(join(paths.sessionsDir("main"), "abc.jsonl"), '{"role":"user"}\n');
  await Deno.mkdir(paths.cronDir, { recursive: true });
  await Deno.writeTextFile(join(paths.cronDir, "jobs.json"), '{"jobs":[]}');
  await Deno.mkdir(paths.modelsDir, { recursive: true });
  await Deno.writeTextFile(join(paths.modelsDir, "tiny.gguf"), "not in backups");
  const client = await gw.connect();

  const result = await client.request("backup.export");
  assert(result.path.startsWith(paths.backupsDir + "/"));
  assertMatch(result.path, /pyclaw-backup-\d{8}-\d{6}-\d{3}\.tar\.gz$/);
  assertEquals(result.files.sort(), [
    "agents/main/sessions/abc.jsonl",
    "cron/jobs.json",
    "pyclaw.json",
  ]);
  const gz = await Deno.readFile(result.path);
  assertEquals((await Deno.stat(result.path)).size, result.size);
  const tar = await new Response(
    new Blob([gz]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).bytes();
  const entries = await unpackTar(tar);
  const names = entries.map((e) => e.header.name);
  assertEquals(names[0], "backup-manifest.json");
  assert(!names.some((n) => n.startsWith("models/")), "local models are left out");
  const session = entries.find((e) => e.header.name === "agents/main/sessions/abc.jsonl");
  assertEquals(new TextDecoder().decode(session?.data), '{"role":"user"}\n');

  const status = await client.request(
    "backup.status",
  );
  assertEquals(status.count, 1);
  assertEquals(status.backups[0], { ...status.backups[0], path: result.path, size: result.size });
});

Deno.test("backup.export keeps only the newest backup.keep archives", async () => {
  await using gw = await startInProcessGateway({ config: { backup: { keep: 2 } } });
  const client = await gw.connect();
  const made: string[] = [];
  for (let i = 0; i < 3; i++) {
    made.push((await client.request("backup.export")).path);
  }
  const status = await client.request(
    "backup.status",
  );
  assertEquals(status.count, 2);
  assertEquals(status.backups.map((b) => b.path), [made[2], made[1]]);
});
