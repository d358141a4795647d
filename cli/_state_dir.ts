/**
 * @module The state dir, checked before a command uses it: the runtime's own message for a
 * state dir that is a file ("Not a directory (os error 20)") names no path under the `pyclaw`
 * permission set, so the user would not learn which setting to fix.
 */

import { stateDir } from "../core/paths.ts";

/**
 * Why the state dir cannot be used, naming it and where it comes from; undefined when it is a
 * directory or does not exist yet (the command that needs it creates it).
 */
export async function stateDirProblem(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): Promise<string | undefined> {
  const dir = stateDir(env);
  const source = env.PYCLAW_STATE_DIR?.trim() ? "PYCLAW_STATE_DIR" : "the default state dir";
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    const why = error instanceof Deno.errors.NotADirectory
      ? "a folder on its path is a file"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied"
      : (error as Error).message;
    return `The state dir ${dir} (${source}) cannot be used: ${why}`;
  }
  if (info.isDirectory) return undefined;
  return `The state dir ${dir} (${source}) is not a directory: point PYCLAW_STATE_DIR at a ` +
    "folder, or move the file away";
}
