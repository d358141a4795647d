import { join } from "node:path";
import { packTar, type TarEntry } from "modern-tar";
import { assert, assertEquals, assertRejects } from "../../_helpers/assert.ts";
import { statePaths } from "../../../core/paths.ts";
import { BackupArchiveError, MANIFEST_NAME } from "../../../agent/backups/backup_archive.ts";
import { restoreBackup } from "../../../agent/backups/backup_restore.ts";
import { exportBackup } from "../../../agent/backups/backup_store.ts";

const manifest = JSON.stringify({
  format: "pyclaw-backup",
  version: 1,
  createdAt: "2026-01-01T00:00:00.000Z",
  files: [],
});

async function writeArchive(dir: string, entries: TarEntry[], withManifest = true) {
  const all: TarEntry[] = withManifest
    ? [{ header: { name: MANIFEST_NAME, size: manifest.length }, body: manifest }, ...entries]
    : entries;
  const tar = await packTar(all);
  const gz = await new Response(
    new Blob([tar]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  const file = join(dir, `archive-${crypto.randomUUID().slice(0, 6)}.tar.gz`);
  await Deno.writeFile(file, gz);
  return file;
}

async function listTree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const name = prefix + entry.name;
    if (entry.isDirectory) out.push(...await listTree(join(dir, entry.name), name + "/"));
    else out.push(name);
  }
  return out.sort();
}

const file = (name: string, body: string): TarEntry => ({
  header: { name, size: body.length, type: "file" },
  body,
});

Deno.test("backup restore refuses entries that escape the state dir and changes nothing", async () => {
  const work = await Deno.makeTempDir({ prefix: "pyclaw-restore-" });
  try {
    const root = join(work, "state");
    await Deno.mkdir(join(root, "cron"), { recursive: true });
    await Deno.writeTextFile(join(root, "cron", "jobs.json"), "original");
    const before = await listTree(root);
    const where = { paths: statePaths(root), configPath: join(root, "pyclaw.json") };
    const hostile: [string, TarEntry[], boolean?][] = [
      ["parent", [file("cron/../../evil.txt", "x")]],
      ["absolute", [file("/tmp/evil.txt", "x")]],
      ["dotdot", [file("../evil.txt", "x")]],
      ["backslash", [file("cron\\..\\..\\evil.txt", "x")]],
      ["symlink", [{ header: { name: "cron/link", size: 0, type: "symlink", linkname: "/etc" } }]],
      ["hardlink", [{
        header: { name: "cron/hard", size: 0, type: "link", linkname: "/etc/passwd" },
      }]],
      ["models", [file("models/big.gguf", "weights")]],
      ["logs", [file("logs/pyclaw.log", "x")]],
      ["unit as file", [file("cron", "x")]],
      ["no manifest", [file("cron/jobs.json", "x")], false],
    ];
    for (const [label, entries, withManifest] of hostile) {
      const archive = await writeArchive(work, entries, withManifest ?? true);
      await assertRejects(() => restoreBackup(archive, where), BackupArchiveError);
      assertEquals(await listTree(root), before, label);
      assertEquals(await Deno.readTextFile(join(root, "cron", "jobs.json")), "original", label);
    }
    await Deno.writeFile(join(work, "corrupt.tar.gz"), new Uint8Array([31, 139, 8, 0, 1, 2, 3]));
    await assertRejects(
      () => restoreBackup(join(work, "corrupt.tar.gz"), where),
      BackupArchiveError,
    );
    assertEquals(await listTree(root), before);
    assert(!(await Deno.stat(join(work, "evil.txt")).catch(() => null)));
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("backup restore refuses a state dir whose part is a link to elsewhere", async () => {
  const work = await Deno.makeTempDir({ prefix: "pyclaw-restore-" });
  try {
    const root = join(work, "state");
    const outside = join(work, "outside");
    await Deno.mkdir(root, { recursive: true });
    await Deno.mkdir(join(outside, "x", "sessions"), { recursive: true });
    await Deno.symlink(outside, join(root, "agents"));
    const archive = await writeArchive(work, [file("agents/x/sessions/s.jsonl", "{}\n")]);
    await assertRejects(
      () =>
        restoreBackup(archive, { paths: statePaths(root), configPath: join(root, "pyclaw.json") }),
      BackupArchiveError,
      "link",
    );
    assertEquals(await listTree(join(outside, "x")), []);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("backup export then restore puts sessions, cron, plans, pairings and config back", async () => {
  const work = await Deno.makeTempDir({ prefix: "pyclaw-restore-" });
  try {
    const src = statePaths(join(work, "src"));
    await Deno.mkdir(src.sessionsDir("main"), { recursive: true });
    await Deno.writeTextFile(join(src.sessionsDir("main"), "s1.jsonl"), '{"role":"user"}\n');
    await Deno.mkdir(src.cronDir, { recursive: true });
    await Deno.writeTextFile(join(src.cronDir, "jobs.json"), '{"jobs":[]}');
    await Deno.mkdir(join(src.plansDir, "p"), { recursive: true });
    await Deno.writeTextFile(join(src.plansDir, "p", "plan.json"), "{}");
    await Deno.writeTextFile(src.pairingsFile, '{"devices":[]}');
    await Deno.writeTextFile(join(src.root, "pyclaw.json"), "{ gateway: { port: 1 } }");
    await Deno.mkdir(src.modelsDir, { recursive: true });
    await Deno.writeTextFile(join(src.modelsDir, "m.gguf"), "weights");
    const exported = await exportBackup(
      { paths: src, configPath: join(src.root, "pyclaw.json") },
      { keep: 5 },
    );
    assertEquals(exported.files.sort(), [
      "agents/main/sessions/s1.jsonl",
      "cron/jobs.json",
      "devices.json",
      "plans/p/plan.json",
      "pyclaw.json",
    ]);

    const dst = statePaths(join(work, "dst"));
    await Deno.mkdir(dst.cronDir, { recursive: true });
    await Deno.writeTextFile(join(dst.cronDir, "jobs.json"), "old jobs");
    const result = await restoreBackup(exported.path, {
      paths: dst,
      configPath: join(dst.root, "pyclaw.json"),
    });
    assertEquals(result.files, 5);
    assertEquals(
      await Deno.readTextFile(join(dst.sessionsDir("main"), "s1.jsonl")),
      '{"role":"user"}\n',
    );
    assertEquals(await Deno.readTextFile(join(dst.cronDir, "jobs.json")), '{"jobs":[]}');
    assertEquals(await Deno.readTextFile(dst.pairingsFile), '{"devices":[]}');
    assertEquals(
      await Deno.readTextFile(join(dst.root, "pyclaw.json")),
      "{ gateway: { port: 1 } }",
    );
    assert(result.replacedDir, "the old cron folder was moved aside");
    assertEquals(
      await Deno.readTextFile(join(result.replacedDir, "cron", "jobs.json")),
      "old jobs",
    );
    assertEquals((await listTree(dst.root)).filter((n) => n.startsWith(".restore-")), []);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
