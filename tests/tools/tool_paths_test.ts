import { join } from "node:path";
import { assertEquals, assertRejects } from "../_helpers/assert.ts";
import { buildPdf } from "../_helpers/documents.ts";
import { toolContext } from "../_helpers/tool_context.ts";
import { readPdf } from "../../tools/read_pdf.ts";
import { resolveToolPath } from "../../tools/tool_paths.ts";
import { unwrapExternal } from "../_helpers/external.ts";

Deno.test("tool paths outside the workspace are refused: ../, absolute, and symlinks", async () => {
  await using t = await toolContext();
  const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "pyclaw-outside-" }));
  try {
    await Deno.writeFile(join(outside, "secret.pdf"), buildPdf(["Secret"]));
    await Deno.mkdir(join(t.dir, "docs"));
    await Deno.writeFile(join(t.dir, "docs", "ok.pdf"), buildPdf(["Inside"]));
    await Deno.symlink(join(outside, "secret.pdf"), join(t.dir, "link.pdf"));
    await Deno.symlink(outside, join(t.dir, "linkdir"));

    const inside = await t.call(readPdf, { path: "docs/../docs/ok.pdf" });
    assertEquals(unwrapExternal(inside.content, "read_pdf"), "--- Page 1 ---\nInside");
    for (
      const path of [
        "../" + outside.split("/").pop() + "/secret.pdf",
        join(outside, "secret.pdf"),
        "link.pdf",
        "linkdir/secret.pdf",
        "docs/../../x.pdf",
      ]
    ) {
      await assertRejects(() => t.call(readPdf, { path }), Error, "Path is outside the workspace");
    }
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("tool paths may leave the workspace when restrictToWorkspace is off", async () => {
  await using t = await toolContext({ config: { tools: { restrictToWorkspace: false } } });
  const outside = await Deno.realPath(await Deno.makeTempDir({ prefix: "pyclaw-outside-" }));
  try {
    await Deno.writeFile(join(outside, "open.pdf"), buildPdf(["Open"]));
    const result = await t.call(readPdf, { path: join(outside, "open.pdf") });
    assertEquals(unwrapExternal(result.content), "--- Page 1 ---\nOpen");
    assertEquals(await resolveToolPath(t.ctx, "a/b.txt"), join(t.dir, "a", "b.txt"));
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("tool paths refuse empty and NUL paths, and directories", async () => {
  await using t = await toolContext();
  await assertRejects(() => resolveToolPath(t.ctx, " "), Error, "Path is empty");
  await assertRejects(() => resolveToolPath(t.ctx, "a\0b"), Error, "NUL byte");
  await Deno.mkdir(join(t.dir, "folder.pdf"));
  await assertRejects(() => t.call(readPdf, { path: "folder.pdf" }), Error, "Not a regular file");
});
