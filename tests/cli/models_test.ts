/** @module `pyclaw models …` run as a user would, against the stand-in hub. */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, waitFor } from "../_helpers/assert.ts";
import { type FakeFile, type FakeHub, startFakeHub } from "../_helpers/fake_hub.ts";
import { buildTinyGguf } from "../../scripts/make_tiny_gguf.ts";
import { LocalModelStore } from "../../agent/models/model_store.ts";
import { PYCLAW } from "../_helpers/cli.ts";

const REPO = "Qwen/Qwen3-4B-GGUF";
const MAIN = "qwen3-4b-q4_k_m.gguf";

const gguf = buildTinyGguf();
const FILES: FakeFile[] = [
  { path: "README.md", content: new TextEncoder().encode("# tiny") },
  { path: "qwen3-4b-q8_0.gguf", content: buildTinyGguf({ seed: 7 }) },
  { path: MAIN, content: gguf },
];

function command(args: string[], stateDir: string, hub: FakeHub) {
  return new Deno.Command(PYCLAW, {
    args: ["models", ...args],
    env: {
      PYCLAW_STATE_DIR: stateDir,
      PYCLAW_CONFIG_PATH: "",
      NO_COLOR: "1",
      HF_ENDPOINT: hub.url,
      MODELSCOPE_ENDPOINT: hub.url,
    },
    stdout: "piped",
    stderr: "piped",
  });
}

async function pyclaw(args: string[], stateDir: string, hub: FakeHub) {
  const output = await command(args, stateDir, hub).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

async function setup() {
  const hub = startFakeHub({ repos: { [REPO]: FILES, "org/docs-only": FILES.slice(0, 1) } });
  const stateDir = await Deno.makeTempDir({ prefix: "pyclaw-cli-models-" });
  return {
    hub,
    stateDir,
    async [Symbol.asyncDispose]() {
      await hub.close();
      await Deno.remove(stateDir, { recursive: true });
    },
  };
}

Deno.test("pyclaw models download picks Q4_K_M, prints plain progress and verifies", async () => {
  await using t = await setup();
  t.hub.throttle(64 * 1024, 0);
  const result = await pyclaw(["download", REPO], t.stateDir, t.hub);
  assertEquals(result.code, 0, result.stderr);
  assertMatch(result.stdout, new RegExp(`HuggingFace \\(${t.hub.url}\\): ${REPO}`));
  assertMatch(result.stdout, /Chose qwen3-4b-q4_k_m\.gguf \(Q4_K_M, .+\); pass --filename/);
  // Not a terminal: plain lines with percent, bytes, speed and ETA, and no control characters.
  assertMatch(result.stdout, /100% .+ \/ .+ {2}.+\/s {2}ETA \d+s/);
  assert(!result.stdout.includes("\x1b"), "no terminal escapes in piped output");
  assertMatch(result.stdout, /sha256 verified/);
  const stored = join(t.stateDir, "models", REPO, MAIN);
  assertEquals(await Deno.readFile(stored), gguf);
  assert(t.hub.requests.some((r) => r.path === `/api/models/${REPO}/tree/main?recursive=true`));
});

Deno.test("pyclaw models download resumes after a dropped connection", async () => {
  await using t = await setup();
  t.hub.dropAfter(`${REPO}/${MAIN}`, 100_000);
  const first = await pyclaw(["download", REPO], t.stateDir, t.hub);
  assertEquals(first.code, 1);
  assertMatch(first.stderr, /Connection dropped after \d+ of \d+ bytes .*run the same command/);
  const second = await pyclaw(["download", REPO], t.stateDir, t.hub);
  assertEquals(second.code, 0, second.stderr);
  assertMatch(second.stdout, /resuming at/);
  assert(t.hub.requests.some((r) => r.range?.startsWith("bytes=")), "a Range request was made");
  assertEquals(await Deno.readFile(join(t.stateDir, "models", REPO, MAIN)), gguf);
});

Deno.test("pyclaw models download keeps a resumable partial on Ctrl-C", async () => {
  await using t = await setup();
  // Stalled a quarter of the way in until Ctrl-C: a throttled download (about 1.2 s) could end
  // before a loaded machine delivered the signal.
  t.hub.stallAfter(`${REPO}/${MAIN}`, 64 * 1024);
  const child = command(["download", REPO], t.stateDir, t.hub).spawn();
  const partial = join(t.stateDir, "models", ".partial", "huggingface", REPO, `${MAIN}.part`);
  await waitFor(async () => (await Deno.stat(partial).catch(() => undefined))?.size, 20_000);
  child.kill("SIGINT");
  const output = await child.output();
  assertEquals(output.code, 130);
  assertMatch(new TextDecoder().decode(output.stderr), /Interrupted after \d+ of \d+ bytes/);
  const kept = (await Deno.stat(partial)).size;
  assert(kept > 0 && kept < gguf.length, `kept ${kept} bytes`);
  const resumed = await pyclaw(["download", REPO], t.stateDir, t.hub);
  assertEquals(resumed.code, 0, resumed.stderr);
  assert(t.hub.requests.some((r) => r.range && Number(r.range.slice(6, -1)) >= kept));
});

Deno.test("pyclaw models download refuses a wrong checksum, a missing repo and a repo without GGUF", async () => {
  await using t = await setup();
  t.hub.wrongChecksum(`${REPO}/${MAIN}`);
  const bad = await pyclaw(["download", REPO], t.stateDir, t.hub);
  assertEquals(bad.code, 1);
  assertMatch(bad.stderr, /Checksum mismatch for .*nothing was added to the store/);
  const local = await pyclaw(["local", "--json"], t.stateDir, t.hub);
  assertEquals(JSON.parse(local.stdout).models, []);

  const missing = await pyclaw(["download", "nobody/nothing"], t.stateDir, t.hub);
  assertEquals(missing.code, 1);
  assertMatch(missing.stderr, /Repository not found on HuggingFace: nobody\/nothing/);
  const none = await pyclaw(["download", "org/docs-only"], t.stateDir, t.hub);
  assertEquals(none.code, 1);
  assertMatch(none.stderr, /No GGUF file in org\/docs-only/);
  const mlx = await pyclaw(
    ["download", "mlx-community/Llama-3-8B-4bit", "--backend", "mlx"],
    t.stateDir,
    t.hub,
  );
  if (Deno.build.os !== "darwin" || Deno.build.arch !== "aarch64") {
    assertEquals(mlx.code, 1);
    assertMatch(mlx.stderr, /mlx backend needs Apple Silicon/);
    assert(!t.hub.requests.some((r) => r.path.includes("mlx-community")), "no request was made");
  }
});

Deno.test("pyclaw models download --source modelscope, then local, select and delete-local", async () => {
  await using t = await setup();
  const lower = "qwen/Qwen3-4B-GGUF";
  await t.hub.close();
  const hub = startFakeHub({ repos: { [lower]: FILES } });
  try {
    const got = await pyclaw(["download", lower, "--source", "modelscope"], t.stateDir, hub);
    assertEquals(got.code, 0, got.stderr);
    assertMatch(got.stdout, /ModelScope/);
    assert(hub.requests.some((r) => r.path.startsWith(`/api/v1/models/${lower}/repo/files`)));
    const id = `${lower}/${MAIN}`;

    // As the spec writes it: another case than the hub's names still finds the one model.
    const selected = await pyclaw(["select", `Qwen/Qwen3-4B-GGUF/${MAIN}`], t.stateDir, hub);
    assertEquals(selected.code, 0, selected.stderr);
    const config = JSON.parse(await Deno.readTextFile(join(t.stateDir, "pyclaw.json")));
    assertEquals(config.agents.defaults.model, `llamacpp/${id}`);

    const listed = JSON.parse((await pyclaw(["local", "--json"], t.stateDir, hub)).stdout);
    assertEquals(listed.selected, id);
    assertEquals(listed.models[0].backend, "llamacpp");
    assertEquals(listed.models[0].source, "modelscope");
    assertEquals(listed.models[0].size, gguf.length);
    const table = await pyclaw(["local"], t.stateDir, hub);
    assertMatch(table.stdout, new RegExp(`\\* +${id.replaceAll("/", "\\/")} +llamacpp`));

    const unknown = await pyclaw(["select", "nope/x.gguf"], t.stateDir, hub);
    assertEquals(unknown.code, 1);
    assertMatch(unknown.stderr, /Local model not found: nope\/x\.gguf/);

    const deleted = await pyclaw(["delete-local", id], t.stateDir, hub);
    assertEquals(deleted.code, 0, deleted.stderr);
    assertMatch(deleted.stdout, /agents\.defaults\.model is now unset/);
    const after = JSON.parse(await Deno.readTextFile(join(t.stateDir, "pyclaw.json")));
    assertEquals(after.agents.defaults.model, undefined);
    await Deno.stat(join(t.stateDir, "models", lower)).then(
      () => assert(false, "the model's folder is gone"),
      (error) => assert(error instanceof Deno.errors.NotFound),
    );
  } finally {
    await hub.close();
  }
});

Deno.test("pyclaw models select refuses an MLX model until an mlx provider is configured", async () => {
  await using t = await setup();
  const store = new LocalModelStore(join(t.stateDir, "models"));
  const path = store.pathFor("mlx-community/Llama-3-8B-4bit")!;
  await Deno.mkdir(path, { recursive: true });
  await store.add({
    id: "mlx-community/Llama-3-8B-4bit",
    backend: "mlx",
    size: 1,
    path,
    source: "huggingface",
    repo: "mlx-community/Llama-3-8B-4bit",
    downloadedAt: new Date().toISOString(),
  });
  const refused = await pyclaw(["select", "mlx-community/Llama-3-8B-4bit"], t.stateDir, t.hub);
  assertEquals(refused.code, 1);
  assertMatch(refused.stderr, /is an MLX model: serve it with mlx_lm\.server/);
  await Deno.writeTextFile(
    join(t.stateDir, "pyclaw.json"),
    JSON.stringify({ models: { providers: { mlx: { baseUrl: "http://127.0.0.1:8080/v1" } } } }),
  );
  const selected = await pyclaw(["select", "mlx-community/Llama-3-8B-4bit"], t.stateDir, t.hub);
  assertEquals(selected.code, 0, selected.stderr);
  assertMatch(
    selected.stdout,
    /Default model of agents is now mlx\/mlx-community\/Llama-3-8B-4bit/,
  );
});

/** Mounts a tiny tmpfs, where the machine allows it (root), to see a full disk for real. */
function mountTinyDisk(dir: string, size = "64k"): boolean {
  try {
    const out = new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    return out.success;
  } catch {
    return false;
  }
}

/** Whether this machine lets the tests mount a tmpfs (root or CAP_SYS_ADMIN); asked once. */
const CAN_MOUNT = (() => {
  const dir = Deno.makeTempDirSync({ prefix: "pyclaw-mount-probe-" });
  try {
    const mounted = mountTinyDisk(dir);
    if (mounted) new Deno.Command("umount", { args: [dir] }).outputSync();
    return mounted;
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
})();

/** Whether util-linux `script` (a pseudo-terminal for the command) is installed. */
const HAS_SCRIPT = (() => {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

// Registered with `ignore`, so a machine that cannot mount shows them as ignored (and
// scripts/test.sh as skipped), never as passed.
Deno.test({
  name: "pyclaw models download stops with a clear message on a full disk",
  ignore: !CAN_MOUNT,
}, async () => {
  await using env = await setup();
  const disk = join(env.stateDir, "disk");
  await Deno.mkdir(disk);
  assert(mountTinyDisk(disk), "mounting a tmpfs worked for the probe but not here");
  try {
    const result = await pyclaw(["download", REPO], disk, env.hub);
    assertEquals(result.code, 1);
    assertMatch(
      result.stderr,
      /Not enough disk space for .*qwen3-4b-q4_k_m\.gguf: \d+ bytes needed/,
    );
    const local = await pyclaw(["local", "--json"], disk, env.hub);
    assertEquals(JSON.parse(local.stdout).models, []);
  } finally {
    new Deno.Command("umount", { args: [disk] }).outputSync();
  }
});

Deno.test({
  name: "pyclaw models download keeps the partial file when the disk fills up mid-file",
  ignore: !CAN_MOUNT,
}, async () => {
  await using env = await setup();
  const disk = join(env.stateDir, "disk");
  await Deno.mkdir(disk);
  assert(mountTinyDisk(disk, "400k"), "mounting a tmpfs worked for the probe but not here");
  try {
    // Stalled until the disk is full, so the rest of the file meets it.
    const release = env.hub.stallAfter(`${REPO}/${MAIN}`, 64 * 1024);
    const child = command(["download", REPO], disk, env.hub).spawn();
    const partial = join(disk, "models", ".partial", "huggingface", REPO, `${MAIN}.part`);
    await waitFor(async () => (await Deno.stat(partial).catch(() => undefined))?.size, 20_000);
    // Something else fills the disk after the free-space check passed.
    const filler = await Deno.open(join(disk, "filler"), { write: true, create: true });
    try {
      while (true) await filler.write(new Uint8Array(4096));
    } catch {
      // full
    } finally {
      filler.close();
    }
    release();
    const output = await child.output();
    assertEquals(output.code, 1);
    assertMatch(new TextDecoder().decode(output.stderr), /Disk full while writing .*resume/);
    assert((await Deno.stat(partial)).size > 0, "the partial file is kept");
  } finally {
    new Deno.Command("umount", { args: [disk] }).outputSync();
  }
});

Deno.test({
  name: "pyclaw models download draws a progress bar on a terminal",
  ignore: !HAS_SCRIPT,
}, async () => {
  await using env = await setup();
  env.hub.throttle(32 * 1024, 10);
  const line = `${PYCLAW} models download ${REPO}`;
  const output = await new Deno.Command("script", {
    args: ["-qec", line, "/dev/null"],
    env: { PYCLAW_STATE_DIR: env.stateDir, PYCLAW_CONFIG_PATH: "", HF_ENDPOINT: env.hub.url },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assertEquals(output.code, 0, text);
  // cli-progress redraws one line: a bar, percent, bytes, speed and ETA.
  assertMatch(text, /qwen3-4b-q4_k_m\.gguf [█░]+ 100% \| .+ \/ .+ \| .+\/s \| ETA \d+s/);
  assert(text.includes("\x1b[1G") || text.includes("\r"), "the line is redrawn in place");
});

Deno.test("pyclaw models delete-local takes the exact id: a deleted model never falls through to another in another case; select of an id two models match is INVALID_PARAMS", async () => {
  await using t = await setup();
  await t.hub.close();
  const lower = "qwen/Qwen3-4B-GGUF";
  const hub = startFakeHub({ repos: { [REPO]: FILES, [lower]: FILES } });
  try {
    assertEquals((await pyclaw(["download", REPO], t.stateDir, hub)).code, 0);
    const ms = await pyclaw(["download", lower, "--source", "modelscope"], t.stateDir, hub);
    assertEquals(ms.code, 0, ms.stderr);
    const id = `${REPO}/${MAIN}`;
    // Two models match in another case: the id typed is at fault, and both are named.
    const ambiguous = await pyclaw(["select", id.toUpperCase()], t.stateDir, hub);
    assertEquals(ambiguous.code, 1);
    assertMatch(
      ambiguous.stderr,
      /^Error: INVALID_PARAMS: Ambiguous model id: .* matches "(Qwen|qwen)\/.*" or "(Qwen|qwen)\//,
    );
    assert(ambiguous.stderr.includes(`"${id}"`) && ambiguous.stderr.includes(`"${lower}/`));
    const deleted = await pyclaw(["delete-local", id], t.stateDir, hub);
    assertEquals(deleted.code, 0, deleted.stderr);
    const again = await pyclaw(["delete-local", id], t.stateDir, hub);
    assertEquals(again.code, 1);
    assertMatch(again.stderr, /^Error: NOT_FOUND: Local model not found: .*did you mean "qwen\//);
    const left = JSON.parse((await pyclaw(["local", "--json"], t.stateDir, hub)).stdout);
    assertEquals(left.models.map((m: { id: string }) => m.id), [`${lower}/${MAIN}`]);
    // Choosing a model still forgives the case when one model matches.
    const selected = await pyclaw(["select", id.toUpperCase()], t.stateDir, hub);
    assertEquals(selected.code, 0, selected.stderr);
    assertMatch(selected.stdout, /now llamacpp\/qwen\/Qwen3-4B-GGUF\//);
  } finally {
    await hub.close();
  }
});
