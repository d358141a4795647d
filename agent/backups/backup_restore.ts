/**
 * @module Restoring a backup into a state dir. The archive is validated and unpacked into a
 * staging folder first; only when all of it is good are the restored parts moved into place,
 * and whatever they replace is moved aside to `<state>/backups/replaced-<time>/`, never deleted.
 */

import { dirname, join } from "../../core/path.ts";
import { containedPath, containedRealPath } from "../../core/paths.ts";
import { BackupArchiveError, readBackupArchive } from "./backup_archive.ts";
import { type BackupSourcePaths, isBackupEntryName } from "./backup_store.ts";
import { ConfigError, loadConfigText } from "../../core/config/load.ts";
import { isEnvNotSet } from "../../core/config/config_text.ts";

/** Options of {@linkcode restoreBackup}. */
export interface RestoreOptions {
  /** Variables for the restored config's `${NAME}` references, as the gateway will see them. */
  env?: Record<string, string | undefined>;
}

/** What a restore did. */
export interface RestoreResult {
  /** The parts put in place: `pyclaw.json`, `devices.json`, `cron`, `plans`, `agents/<id>/sessions`. */
  restored: string[];
  files: number;
  /** Where the replaced parts went, when anything was replaced. */
  replacedDir?: string;
  /** When the backup was made. */
  createdAt: string;
}

/**
 * Restores the archive at `file` into the state dir of `where`.
 *
 * @throws {BackupArchiveError} when the archive is invalid, an entry would land outside the
 * state dir, or its `pyclaw.json` is a config the gateway would not start on; the state dir is
 * then unchanged
 */
export async function restoreBackup(
  file: string,
  where: BackupSourcePaths,
  options: RestoreOptions = {},
): Promise<RestoreResult> {
  const { paths } = where;
  const root = paths.root;
  const created = !(await exists(root));
  await Deno.mkdir(root, { recursive: true, mode: 0o700 });
  const staging = join(root, `.restore-${crypto.randomUUID().slice(0, 8)}`);
  await Deno.mkdir(staging, { mode: 0o700 });
  try {
    const units = new Set<string>();
    let files = 0;
    const manifest = await readBackupArchive(file, isBackupEntryName, async (entry) => {
      const target = containedPath(staging, entry.name);
      if (!target || target === staging) {
        throw new BackupArchiveError(`Refusing entry that escapes the state dir: ${entry.name}`);
      }
      const unit = unitOf(entry.name);
      const single = entry.name === "pyclaw.json" || entry.name === "devices.json";
      const fileOk = single || (unit !== undefined && unit !== entry.name);
      if (entry.type === "file" ? !fileOk : single) {
        throw new BackupArchiveError(`Unexpected ${entry.type} entry in backup: ${entry.name}`);
      }
      if (unit) units.add(unit);
      if (entry.type === "directory") {
        await Deno.mkdir(target, { recursive: true, mode: 0o700 });
        return;
      }
      await Deno.mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await Deno.writeFile(target, entry.data!, { mode: 0o600, createNew: true });
      files++;
    });
    if (units.has("pyclaw.json")) {
      await checkConfig(join(staging, "pyclaw.json"), options.env ?? {});
    }
    const moves = await planMoves([...units].sort(), staging, where);
    const replacedDir = join(paths.backupsDir, `replaced-${stamp(new Date())}`);
    let replaced = false;
    for (const { from, to, unit } of moves) {
      if (await exists(to)) {
        const aside = join(replacedDir, unit);
        await Deno.mkdir(dirname(aside), { recursive: true, mode: 0o700 });
        await move(to, aside);
        replaced = true;
      }
      await Deno.mkdir(dirname(to), { recursive: true, mode: 0o700 });
      await move(from, to);
    }
    return {
      restored: moves.map((m) => m.unit),
      files,
      replacedDir: replaced ? replacedDir : undefined,
      createdAt: manifest.createdAt,
    };
  } catch (error) {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
    // A state dir this restore made and filled with nothing goes again: nothing changed.
    if (created) await Deno.remove(root).catch(() => {});
    throw error;
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/**
 * Refuses a backed-up config the gateway would not start on, before anything is put in place:
 * one its schema refuses. What the gateway starts on with a warning (a duplicate agent id, an
 * over-long prompt) or with a flag (`--bind`, `--auth-token`) is restored, as it was taken when
 * backed up. A `${NAME}` this environment lacks is not held against it: the gateway's may have it.
 */
async function checkConfig(file: string, env: Record<string, string | undefined>): Promise<void> {
  try {
    loadConfigText(await Deno.readTextFile(file), "pyclaw.json", env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const issues = error.issues.filter((issue) => !isEnvNotSet(issue.message));
    if (issues.length === 0) return;
    throw new BackupArchiveError(
      "Refusing to restore: the backup's pyclaw.json is invalid (" +
        issues.map((issue) => `${issue.path || "<root>"}: ${issue.message}`).join("; ") +
        "); nothing was changed",
    );
  }
}

/** The part of the state dir an entry belongs to, or undefined for bare parent folders. */
function unitOf(name: string): string | undefined {
  if (name === "pyclaw.json" || name === "devices.json") return name;
  const session = name.match(/^agents\/[^/]+\/sessions/);
  if (session) return session[0];
  const top = name.match(/^(cron|plans)(\/|$)/);
  return top?.[1];
}

interface Move {
  unit: string;
  from: string;
  to: string;
}

/** Where each staged part goes; refuses targets that resolve (through links) outside the dir. */
async function planMoves(units: string[], staging: string, where: BackupSourcePaths) {
  const moves: Move[] = [];
  for (const unit of units) {
    const from = join(staging, unit);
    if (unit === "pyclaw.json") {
      moves.push({ unit, from, to: where.configPath });
      continue;
    }
    const to = await containedRealPath(where.paths.root, unit);
    if (!to) {
      throw new BackupArchiveError(
        `Refusing to restore through a link out of the state dir: ${unit}`,
      );
    }
    moves.push({ unit, from, to });
  }
  return moves;
}

async function move(from: string, to: string): Promise<void> {
  try {
    await Deno.rename(from, to);
  } catch (error) {
    // The config file may live on another file system (PYCLAW_CONFIG_PATH).
    if ((error as { code?: string }).code !== "EXDEV") throw error;
    await Deno.copyFile(from, to);
    await Deno.remove(from);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

function stamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "-").replace(".", "-").replace(
    "Z",
    "",
  );
}
