/** @module `write`: creates or replaces a workspace file, atomically (temp file, then rename). */

import { z } from "zod";
import { defineTool } from "../tool.ts";
import { resolveWritePath, writeWorkspaceFile } from "./_workspace_fs.ts";

/** Largest content one call may write. */
export const MAX_WRITE_BYTES = 5 * 1024 * 1024;

const parameters = z.strictObject({
  path: z.string().min(1),
  content: z.string(),
});

export const writeTool = defineTool({
  name: "write",
  group: "group:file",
  description: "Create or overwrite a text file (folders are created).",
  parameters,
  async run({ path, content }, ctx) {
    const bytes = new TextEncoder().encode(content);
    if (bytes.length > MAX_WRITE_BYTES) {
      throw new Error(
        `Content is too large: ${bytes.length} bytes, the limit is ${MAX_WRITE_BYTES}`,
      );
    }
    const full = await resolveWritePath(ctx, path);
    const existed = await Deno.stat(full).then(() => true, () => false);
    await writeWorkspaceFile(full, bytes);
    const lines = content === ""
      ? 0
      : content.split("\n").length - (content.endsWith("\n") ? 1 : 0);
    return {
      content: `${existed ? "Replaced" : "Created"} ${path}: ${bytes.length} bytes, ${lines} lines`,
      data: { path, bytes: bytes.length, lines, created: !existed },
    };
  },
});
