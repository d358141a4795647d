/**
 * @module The gateway's data files are its owner's alone whatever the umask: the memory index
 * (with its WAL and shared-memory files) and the local model list.
 */

import { join } from "node:path";
import { assertEquals } from "../_helpers/assert.ts";
import { MemoryDb } from "../../agent/memory/memory_db.ts";
import { LocalModelStore } from "../../agent/models/model_store.ts";

const modeOf = (path: string) => Deno.statSync(path).mode! & 0o777;

Deno.test({
  name: "the memory index, its WAL and shared-memory files, and models/index.json are 0600",
  ignore: Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "pyclaw-data-modes-" });
    try {
      // A file an earlier version left readable by others is tightened at open too.
      const path = join(dir, "main.sqlite");
      await Deno.writeFile(path, new Uint8Array(), { mode: 0o644 });
      await Deno.chmod(path, 0o644);
      const db = new MemoryDb(path);
      for (const entry of Deno.readDirSync(dir)) {
        assertEquals(modeOf(join(dir, entry.name)), 0o600, entry.name);
      }
      db.close();

      const store = new LocalModelStore(join(dir, "models"));
      await store.add({
        id: "a/b/c.gguf",
        backend: "llamacpp",
        size: 1,
        path: join(dir, "models", "c.gguf"),
        source: "huggingface",
        repo: "a/b",
        downloadedAt: new Date(0).toISOString(),
      });
      assertEquals(modeOf(store.indexFile), 0o600);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
