import { join } from "node:path";
import { assertEquals, assertMatch, assertRejects } from "../../_helpers/assert.ts";
import { buildPdf } from "../../_helpers/documents.ts";
import { toolContext } from "../../_helpers/tool_context.ts";
import { applyPatchTool } from "../../../tools/files/apply_patch.ts";
import { editTool } from "../../../tools/files/edit.ts";
import { findTool } from "../../../tools/files/find.ts";
import { grepTool } from "../../../tools/files/grep.ts";
import { lsTool } from "../../../tools/files/ls.ts";
import { readTool } from "../../../tools/files/read.ts";
import { writeTool } from "../../../tools/files/write.ts";

Deno.test("read pages through long files and marks where it cut", async () => {
  await using t = await toolContext();
  const lines = Array.from({ length: 3000 }, (_, i) => `line ${i + 1}`);
  await Deno.writeTextFile(join(t.dir, "long.txt"), lines.join("\n") + "\n");
  const first = await t.call(readTool, { path: "long.txt" });
  assertMatch(first.content, /^ {5}1\tline 1\n/);
  assertMatch(first.content, /\[Cut: showing lines 1-2000 of 3000; read on with offset=2001\]$/);
  const part = await t.call(readTool, { path: "long.txt", offset: 2999, limit: 5 });
  assertEquals(part.content, "  2999\tline 2999\n  3000\tline 3000");
  await assertRejects(() => t.call(readTool, { path: "long.txt", offset: 4000 }), Error, "past");
  await Deno.writeTextFile(join(t.dir, "wide.txt"), "x".repeat(5000));
  assertMatch((await t.call(readTool, { path: "wide.txt" })).content, /\[line cut at 2000 chars\]/);
});

Deno.test("read sends documents to the document tools and refuses binary files", async () => {
  await using t = await toolContext();
  await Deno.writeFile(join(t.dir, "a.pdf"), buildPdf(["Hi"]));
  await Deno.writeFile(join(t.dir, "a.bin"), new Uint8Array([1, 0, 2, 3]));
  await assertRejects(() => t.call(readTool, { path: "a.pdf" }), Error, "read it with read_pdf");
  await assertRejects(() => t.call(readTool, { path: "a.bin" }), Error, "binary file");
  await assertRejects(() => t.call(readTool, { path: "nope.txt" }), Error, "File not found");
});

Deno.test("edit fails clearly when old_string is missing or not unique, and changes nothing", async () => {
  await using t = await toolContext();
  const file = join(t.dir, "a.txt");
  await Deno.writeTextFile(file, "one two one\n");
  await assertRejects(
    () => t.call(editTool, { path: "a.txt", old_string: "three", new_string: "3" }),
    Error,
    "old_string not found in a.txt",
  );
  await assertRejects(
    () => t.call(editTool, { path: "a.txt", old_string: "one", new_string: "1" }),
    Error,
    "old_string occurs 2 times in a.txt",
  );
  assertEquals(await Deno.readTextFile(file), "one two one\n");
  const all = await t.call(editTool, {
    path: "a.txt",
    old_string: "one",
    new_string: "$&1",
    replace_all: true,
  });
  assertEquals(all.content, "Edited a.txt: replaced 2 occurrences");
  assertEquals(await Deno.readTextFile(file), "$&1 two $&1\n");
});

Deno.test("write keeps a file's mode and writes through a link that stays inside", async () => {
  await using t = await toolContext();
  const script = join(t.dir, "run.sh");
  await Deno.writeTextFile(script, "echo a\n");
  await Deno.chmod(script, 0o755);
  await Deno.symlink(script, join(t.dir, "alias.sh"));
  await t.call(writeTool, { path: "alias.sh", content: "echo b\n" });
  assertEquals(await Deno.readTextFile(script), "echo b\n");
  assertEquals((await Deno.lstat(join(t.dir, "alias.sh"))).isSymlink, true);
  assertEquals((await Deno.stat(script)).mode! & 0o777, 0o755);
  await Deno.symlink(join(t.dir, "missing", "x"), join(t.dir, "dangling"));
  await assertRejects(
    () => t.call(writeTool, { path: "dangling", content: "x" }),
    Error,
    "Link points to nothing",
  );
  // No temp files are left behind by the atomic writes.
  const names = [];
  for await (const entry of Deno.readDir(t.dir)) names.push(entry.name);
  assertEquals(names.sort(), ["alias.sh", "dangling", "run.sh"]);
});

Deno.test("apply_patch is all or nothing across files", async () => {
  await using t = await toolContext();
  await Deno.writeTextFile(join(t.dir, "a.txt"), "alpha\nbeta\n");
  await Deno.writeTextFile(join(t.dir, "b.txt"), "gamma\n");
  const patch = [
    "--- a/a.txt",
    "+++ b/a.txt",
    "@@ -1,2 +1,2 @@",
    "-alpha",
    "+ALPHA",
    " beta",
    "--- a/b.txt",
    "+++ b/b.txt",
    "@@ -1 +1 @@",
    "-delta",
    "+DELTA",
    "",
  ].join("\n");
  await assertRejects(
    () => t.call(applyPatchTool, { patch }),
    Error,
    "A hunk of b.txt does not fit",
  );
  assertEquals(await Deno.readTextFile(join(t.dir, "a.txt")), "alpha\nbeta\n");
  const create = [
    "--- /dev/null",
    "+++ b/new/c.txt",
    "@@ -0,0 +1,2 @@",
    "+first",
    "+second",
    "--- a/b.txt",
    "+++ /dev/null",
    "@@ -1 +0,0 @@",
    "-gamma",
    "",
  ].join("\n");
  const result = await t.call(applyPatchTool, { patch: create });
  assertEquals(result.content, "Applied the patch: created new/c.txt, deleted b.txt");
  assertEquals(await Deno.readTextFile(join(t.dir, "new", "c.txt")), "first\nsecond\n");
  assertEquals(await Deno.stat(join(t.dir, "b.txt")).catch(() => null), null);
  await assertRejects(
    () => t.call(applyPatchTool, { patch: "*** Begin Patch\n*** End Patch" }),
    Error,
    "Give a unified diff",
  );
  await assertRejects(() => t.call(applyPatchTool, { patch: "hello" }), Error, "changes no file");
});

Deno.test("grep, find and ls cap their results with a marker", async () => {
  await using t = await toolContext();
  await Deno.mkdir(join(t.dir, "src", "deep"), { recursive: true });
  await Deno.mkdir(join(t.dir, "node_modules", "x"), { recursive: true });
  await Deno.writeTextFile(join(t.dir, "node_modules", "x", "hit.ts"), "needle\n");
  for (let i = 0; i < 12; i++) {
    await Deno.writeTextFile(join(t.dir, "src", "deep", `f${i}.ts`), "needle\nNeedle\n");
  }
  const grep = await t.call(grepTool, { pattern: "needle", limit: 5 });
  assertEquals(grep.content.split("\n").length, 6);
  assertMatch(grep.content, /\[Cut: showing the first 5 matches;/);
  const insensitive = await t.call(grepTool, {
    pattern: "NEEDLE",
    case_insensitive: true,
    path: "src/deep/f1.ts",
  });
  assertEquals(insensitive.content, "src/deep/f1.ts:1:needle\nsrc/deep/f1.ts:2:Needle");
  await assertRejects(
    () => t.call(grepTool, { pattern: "(" }),
    Error,
    "Invalid regular expression",
  );
  const found = await t.call(findTool, { pattern: "*.ts", limit: 3 });
  assertEquals(found.content.split("\n").slice(0, 3), [
    "src/deep/f0.ts",
    "src/deep/f1.ts",
    "src/deep/f10.ts",
  ]);
  assertMatch(found.content, /\[Cut: showing the first 3 files;/);
  assertEquals((await t.call(findTool, { pattern: "src/*/f2.ts" })).content, "src/deep/f2.ts");
  const ls = await t.call(lsTool, {});
  assertEquals(ls.content, "src/");
  const tree = await t.call(lsTool, { path: "src", recursive: true });
  assertEquals(tree.content.split("\n")[0], "deep/");
});

Deno.test("grep reads a final newline as the end of the last line, an empty file as no line, and groups context as grep does", async () => {
  await using t = await toolContext();
  await Deno.writeTextFile(join(t.dir, "g.txt"), "alpha\nbeta\n");
  const none = await t.call(grepTool, { pattern: "^$", path: "g.txt" });
  assertEquals(none.content, "No matches (1 files searched)");
  const around = await t.call(grepTool, { pattern: "beta", path: "g.txt", context_lines: 2 });
  assertEquals(around.content, "g.txt:1-alpha\ng.txt:2:beta");
  // A blank line inside a file still matches, and a file of one newline has one; an empty
  // file has no line at all.
  await Deno.writeTextFile(join(t.dir, "b.txt"), "a\n\nb\n");
  assertEquals((await t.call(grepTool, { pattern: "^$", path: "b.txt" })).content, "b.txt:2:");
  await Deno.writeTextFile(join(t.dir, "newline.txt"), "\n");
  assertEquals(
    (await t.call(grepTool, { pattern: "^$", path: "newline.txt" })).content,
    "newline.txt:1:",
  );
  await Deno.writeTextFile(join(t.dir, "empty.txt"), "");
  assertEquals(
    (await t.call(grepTool, { pattern: "^$", path: "empty.txt" })).content,
    "No matches (1 files searched)",
  );

  const numbered = Array.from(
    { length: 12 },
    (_, i) => (i === 2 || i === 4 || i === 10 ? `hit ${i + 1}` : `line ${i + 1}`),
  );
  await Deno.writeTextFile(join(t.dir, "n.txt"), numbered.join("\n") + "\n");
  const grouped = await t.call(grepTool, { pattern: "hit", path: "n.txt", context_lines: 1 });
  // Windows that overlap merge into one group; `--` only separates groups.
  assertEquals(grouped.content.split("\n"), [
    "n.txt:2-line 2",
    "n.txt:3:hit 3",
    "n.txt:4-line 4",
    "n.txt:5:hit 5",
    "n.txt:6-line 6",
    "--",
    "n.txt:10-line 10",
    "n.txt:11:hit 11",
    "n.txt:12-line 12",
  ]);
  await Deno.writeTextFile(join(t.dir, "m.txt"), "hit 1\nline 2\n");
  const files = await t.call(grepTool, {
    pattern: "^hit (1|11)$",
    include: "[mn].txt",
    context_lines: 1,
  });
  // Groups of different files are separated too.
  assertEquals(files.content.split("\n"), [
    "m.txt:1:hit 1",
    "m.txt:2-line 2",
    "--",
    "n.txt:10-line 10",
    "n.txt:11:hit 11",
    "n.txt:12-line 12",
  ]);
});

Deno.test("grep runs in linear time: a backtracking bomb of a pattern answers at once", async () => {
  await using t = await toolContext();
  await Deno.writeTextFile(join(t.dir, "a.txt"), "a".repeat(5_000) + "!\n");
  // A backtracking engine takes exponential time on this; RE2 does not.
  const result = await t.call(grepTool, { pattern: "^(a+)+$" });
  assertEquals(result.content, "No matches (1 files searched)");
});
