/**
 * @module `edit`: replaces an exact piece of a workspace file. The piece must occur once (or
 * `replace_all`), so an edit never lands somewhere the model did not mean.
 */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { readTextFile, resolveWritePath, writeWorkspaceFile } from "./_workspace_fs.ts";

const parameters = z.strictObject({
  path: z.string().min(1),
  old_string: z.string().min(1).describe("Exact text to replace"),
  new_string: z.string(),
  replace_all: z.boolean().optional(),
});

export const editTool = defineTool({
  name: "edit",
  group: "group:file",
  description: "Replace exact text in a file; old_string must be unique unless replace_all.",
  parameters,
  async run({ path, old_string, new_string, replace_all }, ctx) {
    if (old_string === new_string) throw new Error("old_string and new_string are the same");
    const full = await resolveWritePath(ctx, path);
    const text = await readTextFile(full, path);
    const count = text.split(old_string).length - 1;
    if (count === 0) {
      throw new Error(`old_string not found in ${path}; read the file and copy the text exactly`);
    }
    if (count > 1 && !replace_all) {
      throw new Error(
        `old_string occurs ${count} times in ${path}; add surrounding lines to make it unique, ` +
          "or set replace_all",
      );
    }
    // A function replacement keeps `$&` and friends in new_string literal.
    const updated = replace_all
      ? text.split(old_string).join(new_string)
      : text.replace(old_string, () => new_string);
    await writeWorkspaceFile(full, updated);
    const replaced = replace_all ? count : 1;
    return {
      content: `Edited ${path}: replaced ${replaced} occurrence${replaced === 1 ? "" : "s"}`,
      data: { path, replaced },
    };
  },
});
