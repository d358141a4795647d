/** @module The backup commands' work: they act on the local state dir, no gateway needed. */

import { loadConfigFile } from "../core/config/load.ts";
import type { Config } from "../core/config/schema.ts";
import { configPath, stateDir, statePaths } from "../core/paths.ts";
import { restoreBackup } from "../agent/backups/backup_restore.ts";
import { exportBackup, listBackups } from "../agent/backups/backup_store.ts";
import { stateDirOwner } from "../core/state_owner.ts";
import { fail, printJson } from "./_output.ts";

function where() {
  const env = Deno.env.toObject();
  return { env, paths: statePaths(stateDir(env)), configPath: configPath(env) };
}

async function loadConfig(file: string, env: Record<string, string | undefined>) {
  try {
    return (await loadConfigFile(file, env)).config as Config;
  } catch {
    return undefined; // a broken config is still backed up and restorable
  }
}

export async function backupExport(options: { json?: boolean }): Promise<void> {
  const { env, paths, configPath } = where();
  const config = await loadConfig(configPath, env);
  try {
    const result = await exportBackup({ paths, configPath }, { keep: config?.backup.keep ?? 10 });
    if (options.json) printJson(result);
    else console.log(`Wrote ${result.path} (${result.files.length} files, ${result.size} bytes)`);
  } catch (error) {
    fail(error);
  }
}

export async function backupList(options: { json?: boolean }): Promise<void> {
  const { paths } = where();
  const backups = await listBackups(paths);
  if (options.json) printJson({ backups, count: backups.length });
  else if (backups.length === 0) console.log(`No backups in ${paths.backupsDir}`);
  else {for (const b of backups) {
      console.log(`${b.createdAt}  ${String(b.size).padStart(10)}  ${b.path}`);
    }}
}

export async function backupRestore(
  file: string,
  options: { json?: boolean; force?: boolean },
): Promise<void> {
  const { env, paths, configPath } = where();
  const config = await loadConfig(configPath, env);
  const port = config?.gateway.port ?? 18789;
  const owner = await stateDirOwner(paths.root);
  if (!options.force && owner.owned) {
    const who = owner.record ? ` (pid ${owner.record.pid}, ${owner.record.url})` : "";
    fail(
      new Error(
        `A gateway${who} owns this state dir: stop it before restoring (or pass --force), ` +
          "so it does not overwrite the restored files",
      ),
    );
  }
  if (!options.force && await gatewayAnswers(port)) {
    fail(
      new Error(
        `A gateway answers on port ${port}: stop it before restoring (or pass --force), ` +
          "so it does not overwrite the restored files",
      ),
    );
  }
  try {
    const result = await restoreBackup(file, { paths, configPath }, { env });
    if (options.json) printJson(result);
    else {
      console.log(`Restored ${result.files} files from the backup of ${result.createdAt}:`);
      for (const unit of result.restored) console.log(`  ${unit}`);
      if (result.replacedDir) console.log(`What they replaced was moved to ${result.replacedDir}`);
    }
  } catch (error) {
    fail(error);
  }
}

async function gatewayAnswers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`, {
      signal: AbortSignal.timeout(500),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
