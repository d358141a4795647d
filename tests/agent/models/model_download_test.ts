/** @module Tests of `downloadModel` against the stand-in hub: choice, resume, checksums, errors. */

import { join } from "node:path";
import { downloadModel } from "../../../agent/models/model_download.ts";
import { ModelDownloadError } from "../../../agent/models/hub.ts";
import { LocalModelStore } from "../../../agent/models/model_store.ts";
import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  waitFor,
} from "../../_helpers/assert.ts";
import { acquireDownloadLock } from "../../../agent/models/download_lock.ts";
import { type FakeFile, startFakeHub } from "../../_helpers/fake_hub.ts";

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const REPO = "Qwen/Tiny-GGUF";
const FILES: FakeFile[] = [
  { path: "config.json", content: new TextEncoder().encode("{}") },
  { path: "tiny-q8_0.gguf", content: bytes(3000, 1) },
  { path: "tiny-q4_k_m.gguf", content: bytes(300_000, 2) },
  { path: "tiny-f16.gguf", content: bytes(5000, 3) },
  { path: "mmproj-tiny-q4_k_m.gguf", content: bytes(100, 4) },
];

async function setup() {
  const hub = startFakeHub({ repos: { [REPO]: FILES, "org/no-gguf": FILES.slice(0, 1) } });
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-models-" });
  const store = new LocalModelStore(join(dir, "models"));
  const env = { HF_ENDPOINT: hub.url, MODELSCOPE_ENDPOINT: hub.url };
  return {
    hub,
    store,
    env,
    async [Symbol.asyncDispose]() {
      await hub.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("downloadModel picks Q4_K_M, verifies it and records it in the store", async () => {
  await using t = await setup();
  const result = await downloadModel(t.store, { repo: REPO, env: t.env });
  assertEquals(result.model.id, `${REPO}/tiny-q4_k_m.gguf`);
  assertEquals(result.model.size, 300_000);
  assertEquals(result.model.sha256, t.hub.sha256(FILES[2].content));
  assertEquals(await Deno.readFile(result.model.path), FILES[2].content);
  const listed = await t.store.list();
  assertEquals(listed.map((m) => [m.id, m.backend, m.source]), [
    [`${REPO}/tiny-q4_k_m.gguf`, "llamacpp", "huggingface"],
  ]);
  const again = await downloadModel(t.store, { repo: REPO, env: t.env });
  assert(again.alreadyPresent, "a second download finds the model in the store");
});

Deno.test("downloadModel resumes a dropped download with a Range request", async () => {
  await using t = await setup();
  t.hub.dropAfter(`${REPO}/tiny-q4_k_m.gguf`, 100_000);
  const error = await assertRejects(() => downloadModel(t.store, { repo: REPO, env: t.env }));
  assert(error instanceof ModelDownloadError);
  assertEquals(error.failure, "connection");
  assertMatch(error.message, /run the same command again to resume/);
  assertEquals((await t.store.list()).length, 0);
  const partial = t.store.partialPathFor("huggingface", `${REPO}/tiny-q4_k_m.gguf`)!;
  const kept = (await Deno.stat(partial)).size;
  assert(kept > 0 && kept <= 100_000, `partial kept ${kept} bytes`);
  const result = await downloadModel(t.store, { repo: REPO, env: t.env });
  assertEquals(await Deno.readFile(result.model.path), FILES[2].content);
  assert(t.hub.requests.some((r) => r.range === `bytes=${kept}-`), "resumed with a Range");
});

Deno.test("downloadModel refuses a wrong checksum and adds nothing", async () => {
  await using t = await setup();
  t.hub.wrongChecksum(`${REPO}/tiny-q4_k_m.gguf`);
  const error = await assertRejects(() => downloadModel(t.store, { repo: REPO, env: t.env }));
  assertEquals((error as ModelDownloadError).failure, "checksum");
  assertMatch(error.message, /Checksum mismatch/);
  assertEquals(await t.store.list(), []);
  const partial = t.store.partialPathFor("huggingface", `${REPO}/tiny-q4_k_m.gguf`)!;
  await assertRejects(() => Deno.stat(partial), Deno.errors.NotFound);
});

Deno.test("downloadModel names a missing repo and a repo without GGUF", async () => {
  await using t = await setup();
  const missing = await assertRejects(() =>
    downloadModel(t.store, { repo: "nobody/nothing", env: t.env })
  );
  assertEquals((missing as ModelDownloadError).failure, "not_found");
  assertMatch(missing.message, /Repository not found on HuggingFace: nobody\/nothing/);
  const none = await assertRejects(() =>
    downloadModel(t.store, { repo: "org/no-gguf", env: t.env })
  );
  assertEquals((none as ModelDownloadError).failure, "no_gguf");
  assertMatch(none.message, /No GGUF file in org\/no-gguf/);
  const bad = await assertRejects(() => downloadModel(t.store, { repo: "../etc", env: t.env }));
  assertEquals((bad as ModelDownloadError).failure, "bad_request");
});

Deno.test("downloadModel takes --filename and the ModelScope source", async () => {
  await using t = await setup();
  const result = await downloadModel(t.store, {
    repo: REPO,
    filename: "tiny-q8_0.gguf",
    source: "modelscope",
    env: t.env,
  });
  assertEquals(result.model.id, `${REPO}/tiny-q8_0.gguf`);
  assertEquals(result.model.source, "modelscope");
  assertEquals(await Deno.readFile(result.model.path), FILES[1].content);
  assert(t.hub.requests.some((r) => r.path.startsWith(`/api/v1/models/${REPO}/repo/files`)));
  const unknown = await assertRejects(() =>
    downloadModel(t.store, { repo: REPO, filename: "nope.gguf", env: t.env })
  );
  assertMatch(unknown.message, /File not found in Qwen\/Tiny-GGUF: nope.gguf/);
});

Deno.test("downloadModel refuses mlx off Apple Silicon before any request", async () => {
  await using t = await setup();
  const error = await assertRejects(() =>
    downloadModel(t.store, {
      repo: "mlx-community/Llama-3-8B-4bit",
      backend: "mlx",
      env: t.env,
      platform: { os: "linux", arch: "x86_64" },
    })
  );
  assertEquals((error as ModelDownloadError).failure, "unsupported");
  assertMatch(error.message, /needs Apple Silicon/);
  assertEquals(t.hub.requests.length, 0);
});

Deno.test("downloadModel sends HF_TOKEN for a gated repo and explains a refusal without it", async () => {
  const hub = startFakeHub({
    repos: { "meta/gated-GGUF": FILES },
    gated: { repos: ["meta/gated-GGUF"], token: "hf_secret" },
  });
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-models-" });
  try {
    const store = new LocalModelStore(join(dir, "models"));
    const refused = await assertRejects(() =>
      downloadModel(store, { repo: "meta/gated-GGUF", env: { HF_ENDPOINT: hub.url } })
    );
    assertEquals((refused as ModelDownloadError).failure, "forbidden");
    assertMatch(refused.message, /accept its terms .* and set HF_TOKEN/);
    const result = await downloadModel(store, {
      repo: "meta/gated-GGUF",
      env: { HF_ENDPOINT: hub.url, HF_TOKEN: "hf_secret" },
    });
    assertEquals(result.model.id, "meta/gated-GGUF/tiny-q4_k_m.gguf");
    assert(hub.requests.filter((r) => r.authorization === "Bearer hf_secret").length >= 3);
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadModel takes an MLX repo snapshot on Apple Silicon", async () => {
  const snapshot: FakeFile[] = [
    { path: "config.json", content: new TextEncoder().encode('{"model_type":"llama"}') },
    { path: "model.safetensors", content: bytes(20_000, 9) },
    { path: "tokenizer.json", content: new TextEncoder().encode("{}") },
  ];
  const hub = startFakeHub({ repos: { "mlx-community/Llama-3-8B-4bit": snapshot } });
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-models-" });
  try {
    const store = new LocalModelStore(join(dir, "models"));
    const result = await downloadModel(store, {
      repo: "mlx-community/Llama-3-8B-4bit",
      backend: "mlx",
      env: { HF_ENDPOINT: hub.url },
      platform: { os: "darwin", arch: "aarch64" },
    });
    assertEquals(result.model.id, "mlx-community/Llama-3-8B-4bit");
    assertEquals(result.model.backend, "mlx");
    assertEquals(result.model.size, 20_000 + snapshot[0].content.length + 2);
    assertEquals(result.model.path, join(dir, "models", "mlx-community/Llama-3-8B-4bit"));
    assertEquals(
      await Deno.readFile(join(result.model.path, "model.safetensors")),
      snapshot[1].content,
    );
    assertEquals(store.hasModelsSync("mlx"), true);
    assertEquals(store.hasModelsSync("llamacpp"), false);
    const removed = await store.remove(result.model.id);
    assertEquals(removed?.id, result.model.id);
    assertEquals(await store.list(), []);
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadModel fetches every part of a split GGUF and delete-local removes them all", async () => {
  const parts: FakeFile[] = [
    { path: "big-Q4_K_M-00001-of-00002.gguf", content: bytes(4000, 11) },
    { path: "big-Q4_K_M-00002-of-00002.gguf", content: bytes(3000, 12) },
  ];
  const hub = startFakeHub({ repos: { "org/split-GGUF": parts } });
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-models-" });
  try {
    const store = new LocalModelStore(join(dir, "models"));
    const result = await downloadModel(store, {
      repo: "org/split-GGUF",
      env: { HF_ENDPOINT: hub.url },
    });
    assertEquals(result.model.id, "org/split-GGUF/big-Q4_K_M-00001-of-00002.gguf");
    assertEquals(result.model.size, 7000);
    const second = join(dir, "models", "org/split-GGUF", parts[1].path);
    assertEquals(await Deno.readFile(second), parts[1].content);
    await store.remove(result.model.id);
    await assertRejects(() => Deno.stat(second), Deno.errors.NotFound);
    await assertRejects(() => Deno.stat(join(dir, "models", "org")), Deno.errors.NotFound);
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("LocalModelStore refuses ids that would leave a repo's folder", () => {
  const store = new LocalModelStore("/tmp/pyclaw-models-x");
  assertEquals(store.pathFor("org/repo/model.gguf"), "/tmp/pyclaw-models-x/org/repo/model.gguf");
  for (
    const bad of ["org/repo/../../.partial/x", ".partial/x", "org//x", "../x", "/abs", "a/./b"]
  ) {
    assertEquals(store.pathFor(bad), undefined, bad);
  }
});

Deno.test("downloadModel explains an endpoint that is not a hub API and stores empty files", async () => {
  const page = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("<html>mirror home</html>", { headers: { "content-type": "text/html" } }),
  );
  const hub = startFakeHub({
    repos: {
      "mlx-community/empty-file": [
        { path: "model.safetensors", content: bytes(10, 1) },
        { path: "added_tokens.json", content: new Uint8Array() },
      ],
    },
  });
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-models-" });
  try {
    const store = new LocalModelStore(join(dir, "models"));
    const error = await assertRejects(() =>
      downloadModel(store, {
        repo: REPO,
        env: { HF_ENDPOINT: `http://127.0.0.1:${page.addr.port}` },
      })
    );
    assertMatch(error.message, /did not answer with JSON; check the endpoint variable/);
    const result = await downloadModel(store, {
      repo: "mlx-community/empty-file",
      backend: "mlx",
      env: { HF_ENDPOINT: hub.url },
      platform: { os: "darwin", arch: "aarch64" },
    });
    assertEquals((await Deno.stat(join(result.model.path, "added_tokens.json"))).size, 0);
  } finally {
    await page.shutdown();
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadModel says 'unexpected answer from the hub' for JSON of the wrong shape", async () => {
  // A mirror that answers every API path with JSON, just not the hub's.
  const odd = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const path = new URL(request.url).pathname;
      const body = path.includes("/tree/") || path.endsWith("/repo/files")
        ? { entries: "none", Code: 200, Success: true, Data: { Files: { a: 1 } } }
        : { id: "x", Code: 200, Success: true, Data: { id: "x" } };
      return Response.json(body);
    },
  );
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-models-" });
  try {
    const store = new LocalModelStore(join(dir, "models"));
    const url = `http://127.0.0.1:${odd.addr.port}`;
    for (const source of ["huggingface", "modelscope"] as const) {
      const error = await assertRejects(() =>
        downloadModel(store, {
          repo: REPO,
          source,
          env: { HF_ENDPOINT: url, MODELSCOPE_ENDPOINT: url },
        })
      );
      assert(error instanceof ModelDownloadError, String(error));
      assertMatch(error.message, /^Unexpected answer from the hub: /);
      assert(!error.message.includes("not iterable"), error.message);
    }
    assertEquals((await store.list()).length, 0);
  } finally {
    await odd.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadModel refuses a second download of the same model while one runs", async () => {
  await using t = await setup();
  // The first download stalls part way until the second has been refused (a throttled one ran
  // about 0.4 s: a race on a loaded machine).
  const release = t.hub.stallAfter(`${REPO}/tiny-q4_k_m.gguf`, 64 * 1024);
  const first = downloadModel(t.store, { repo: REPO, env: t.env });
  const partial = t.store.partialPathFor("huggingface", `${REPO}/tiny-q4_k_m.gguf`)!;
  await waitFor(() => Deno.stat(partial).then(() => true, () => false));
  const second = await assertRejects(() => downloadModel(t.store, { repo: REPO, env: t.env }));
  assertEquals((second as ModelDownloadError).failure, "busy");
  assertMatch(second.message, /Another download of Qwen\/Tiny-GGUF\/tiny-q4_k_m\.gguf is running/);
  release();
  assertEquals((await first).model.size, 300_000);
  // The lock is gone with the download that held it.
  assert((await downloadModel(t.store, { repo: REPO, env: t.env })).alreadyPresent);
});

Deno.test("acquireDownloadLock takes over a stale lock", async () => {
  const dir = await Deno.makeTempDir({ prefix: "pyclaw-lock-" });
  try {
    const path = join(dir, "x.lock");
    await Deno.writeTextFile(path, JSON.stringify({ pid: 999999 }));
    const old = new Date(Date.now() - 60_000);
    await Deno.utime(path, old, old);
    const lock = await acquireDownloadLock(path, "x");
    assertEquals(JSON.parse(await Deno.readTextFile(path)).pid, Deno.pid);
    await assertRejects(() => acquireDownloadLock(path, "x"), ModelDownloadError);
    await lock.release();
    await assertRejects(() => Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("downloadModel starts over cleanly when the server ignores the Range", async () => {
  await using t = await setup();
  t.hub.dropAfter(`${REPO}/tiny-q4_k_m.gguf`, 50_000);
  await assertRejects(() => downloadModel(t.store, { repo: REPO, env: t.env }));
  t.hub.ignoreRange();
  const result = await downloadModel(t.store, { repo: REPO, env: t.env });
  assertEquals(await Deno.readFile(result.model.path), FILES[2].content);
  assertEquals(result.model.sha256, t.hub.sha256(FILES[2].content));
});
