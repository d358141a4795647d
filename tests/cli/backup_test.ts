import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_helpers/assert.ts";
import { PYCLAW } from "../_helpers/cli.ts";
import { statePaths } from "../../core/paths.ts";

async function pyclaw(args: string[], stateDir: string) {
  const output = await new Deno.Command(PYCLAW, {
    args,
    env: { PYCLAW_STATE_DIR: stateDir, NO_COLOR: "1", PYCLAW_CONFIG_PATH: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("pyclaw backup export, list and restore into a fresh state dir", async () => {
  const work = await Deno.makeTempDir({ prefix: "pyclaw-cli-backup-" });
  try {
    const src = statePaths(join(work, "src"));
    await Deno.mkdir(src.sessionsDir("main"), { recursive: true });
    await Deno.writeTextFile(join(src.sessionsDir("main"), "s.jsonl"), '{"n":1}\n');
    await Deno.mkdir(src.cronDir, { recursive: true });
    await Deno.writeTextFile(join(src.cronDir, "jobs.json"), '{"jobs":[{"id":"j1"}]}');
    // A port nothing listens on, so restore does not see a running gateway.
    await Deno.writeTextFile(join(src.root, "pyclaw.json"), "{ gateway: { port: 9 } }");

    const exported = await pyclaw(["backup", "export", "--json"], src.root);
    assertEquals(exported.code, 0, exported.stderr);
    const { path } = JSON.parse(exported.stdout) as { path: string };
    const listed = await pyclaw(["backup", "list", "--json"], src.root);
    assertEquals(JSON.parse(listed.stdout).count, 1);

    const dst = statePaths(join(work, "dst"));
    const restored = await pyclaw(["backup", "restore", path, "--json"], dst.root);
    assertEquals(restored.code, 0, restored.stderr);
    const result = JSON.parse(restored.stdout) as { restored: string[]; files: number };
    assertEquals(result.files, 3);
    assertEquals(await Deno.readTextFile(join(dst.sessionsDir("main"), "s.jsonl")), '{"n":1}\n');
    assertEquals(await Deno.readTextFile(join(dst.cronDir, "jobs.json")), '{"jobs":[{"id":"j1"}]}');

    const garbage = join(work, "garbage.tar.gz");
    await Deno.writeTextFile(garbage, "not a gzip stream at all");
    const refused = await pyclaw(["backup", "restore", garbage], dst.root);
    assertEquals(refused.code, 1);
    assertMatch(refused.stderr, /Error: .*backup/i);
    assert(await Deno.stat(join(dst.cronDir, "jobs.json")));
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("pyclaw backup restore refuses a backup whose pyclaw.json is invalid, and changes nothing", async () => {
  const work = await Deno.makeTempDir({ prefix: "pyclaw-cli-backup-" });
  try {
    const src = statePaths(join(work, "src"));
    await Deno.mkdir(src.cronDir, { recursive: true });
    await Deno.writeTextFile(join(src.cronDir, "jobs.json"), '{"jobs":[{"id":"new"}]}');
    await Deno.writeTextFile(join(src.root, "pyclaw.json"), '{ gateway: { port: "bad" } }');
    const exported = await pyclaw(["backup", "export", "--json"], src.root);
    assertEquals(exported.code, 0, exported.stderr);
    const { path } = JSON.parse(exported.stdout) as { path: string };

    const dst = statePaths(join(work, "dst"));
    await Deno.mkdir(dst.cronDir, { recursive: true });
    await Deno.writeTextFile(join(dst.cronDir, "jobs.json"), '{"jobs":[{"id":"old"}]}');
    await Deno.writeTextFile(join(dst.root, "pyclaw.json"), "{ gateway: { port: 9 } }");
    const refused = await pyclaw(["backup", "restore", path], dst.root);
    assertEquals(refused.code, 1);
    assertMatch(
      refused.stderr,
      /Refusing to restore: the backup's pyclaw\.json is invalid \(gateway\.port: .*\); nothing was changed/,
    );
    assertEquals(
      await Deno.readTextFile(join(dst.root, "pyclaw.json")),
      "{ gateway: { port: 9 } }",
    );
    assertEquals(
      await Deno.readTextFile(join(dst.cronDir, "jobs.json")),
      '{"jobs":[{"id":"old"}]}',
    );
    assertEquals([...Deno.readDirSync(dst.root)].map((e) => e.name).sort(), [
      "cron",
      "pyclaw.json",
    ]);

    // Into a state dir that does not exist yet: it is not made.
    const fresh = join(work, "fresh");
    assertEquals((await pyclaw(["backup", "restore", path], fresh)).code, 1);
    assertEquals(await Deno.stat(fresh).then(() => true, () => false), false);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});

Deno.test("pyclaw backup restore takes yesterday's config with a duplicate agent id, an over-long prompt or an old bind: the gateway starts on it", async () => {
  const work = await Deno.makeTempDir({ prefix: "pyclaw-cli-backup-" });
  try {
    const src = statePaths(join(work, "src"));
    await Deno.mkdir(src.root, { recursive: true });
    const config = JSON.stringify({
      gateway: { bind: "tailnet" },
      agents: {
        defaults: { systemPrompt: "x".repeat(100_001) },
        list: [{ id: "a" }, { id: "a" }],
      },
    });
    await Deno.writeTextFile(join(src.root, "pyclaw.json"), config);
    const exported = await pyclaw(["backup", "export", "--json"], src.root);
    assertEquals(exported.code, 0, exported.stderr);
    const { path } = JSON.parse(exported.stdout) as { path: string };

    const dst = statePaths(join(work, "dst"));
    const restored = await pyclaw(["backup", "restore", path], dst.root);
    assertEquals(restored.code, 0, restored.stderr);
    assertEquals(await Deno.readTextFile(join(dst.root, "pyclaw.json")), config);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
});
