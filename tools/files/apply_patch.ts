/**
 * @module `apply_patch`: applies a unified diff (one or more files; `diff -u` or `git diff`)
 * with the `diff` library, all or nothing: every hunk of every file must fit before any file is
 * written, and a failed write puts back the files already written.
 */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { readTextFile, resolveWritePath, writeWorkspaceFile } from "./_workspace_fs.ts";
import { MAX_WRITE_BYTES } from "./write.ts";

const parameters = z.strictObject({
  patch: z.string().min(1).max(MAX_WRITE_BYTES).describe("Unified diff (diff -u / git diff)"),
});

/** One file's planned change. */
interface Change {
  path: string;
  full: string;
  /** The text before (undefined: the file is created). */
  before: string | undefined;
  /** The text after (undefined: the file is deleted). */
  after: string | undefined;
}

export const applyPatchTool = defineTool({
  name: "apply_patch",
  group: "group:file",
  description: "Apply a unified diff to files, all or nothing.",
  parameters,
  async run({ patch }, ctx) {
    if (patch.trimStart().startsWith("*** Begin Patch")) {
      throw new Error(
        "Give a unified diff (--- a/file, +++ b/file, @@ hunks), not *** Begin Patch",
      );
    }
    const { applyPatch, parsePatch } = await import("diff");
    let files;
    try {
      files = parsePatch(patch);
    } catch (error) {
      throw new Error(`Not a valid unified diff: ${(error as Error).message}`);
    }
    files = files.filter((file) => file.hunks.length > 0 || file.isDelete || file.isRename);
    if (files.length === 0) throw new Error("The patch changes no file (no @@ hunks found)");
    const changes: Change[] = [];
    for (const file of files) {
      const oldName = fileName(file.oldFileName, "a/");
      const newName = fileName(file.newFileName, "b/");
      const path = newName ?? oldName;
      if (!path) throw new Error("A file in the patch has no name (--- / +++ lines)");
      const full = await resolveWritePath(ctx, path);
      if (changes.some((change) => change.full === full)) {
        throw new Error(`The patch changes ${path} twice; merge its hunks into one`);
      }
      if (file.isRename) throw new Error(`The patch renames ${oldName}; renames are not supported`);
      const before = oldName === undefined ? undefined : await readTextFile(full, path);
      if (oldName === undefined && await exists(full)) {
        throw new Error(`The patch creates ${path}, which already exists`);
      }
      const after = applyPatch(before ?? "", file);
      if (after === false) {
        throw new Error(
          `A hunk of ${path} does not fit the file as it is now; read it and make a new patch`,
        );
      }
      changes.push({ path, full, before, after: newName === undefined ? undefined : after });
    }
    await commit(changes);
    const summary = changes.map((c) =>
      `${
        c.before === undefined ? "created" : c.after === undefined ? "deleted" : "patched"
      } ${c.path}`
    );
    return {
      content: `Applied the patch: ${summary.join(", ")}`,
      data: { files: changes.map((c) => c.path), summary },
    };
  },
});

/** A diff's file name without its `a/` / `b/` prefix; undefined for `/dev/null`. */
function fileName(name: string | undefined, prefix: string): string | undefined {
  if (name === undefined || name === "/dev/null") return undefined;
  const bare = name.split("\t")[0].trim();
  return bare.startsWith(prefix) ? bare.slice(prefix.length) : bare;
}

async function exists(full: string): Promise<boolean> {
  return await Deno.lstat(full).then(() => true, () => false);
}

/** Writes every change; on a failure, restores what was already changed, then rethrows. */
async function commit(changes: Change[]): Promise<void> {
  const done: Change[] = [];
  try {
    for (const change of changes) {
      if (change.after === undefined) await Deno.remove(change.full);
      else await writeWorkspaceFile(change.full, change.after);
      done.push(change);
    }
  } catch (error) {
    for (const change of done.reverse()) {
      if (change.before === undefined) await Deno.remove(change.full).catch(() => {});
      else await writeWorkspaceFile(change.full, change.before).catch(() => {});
    }
    throw new Error(`Writing the patch failed, nothing was changed: ${(error as Error).message}`);
  }
}
