/**
 * @module Backups of the state dir: what goes in (config, sessions, cron, plans, pairings; never
 * local models, logs or browser profiles), where archives live (`<state>/backups/`, named by
 * time), and how many are kept.
 */

import { join, relative, sep } from "../../core/path.ts";
import type { StatePaths } from "../../core/paths.ts";
import { type ArchiveSource, writeBackupArchive } from "./backup_archive.ts";

/** Archive names: `pyclaw-backup-YYYYMMDD-HHMMSS-mmm[-N].tar.gz`, UTC, so they sort by time. */
const BACKUP_NAME = /^pyclaw-backup-\d{8}-\d{6}-\d{3}(-\d+)?\.tar\.gz$/;

/** What `backup.export` returns. */
export interface BackupResult {
  path: string;
  files: string[];
  size: number;
  createdAt: string;
}

/** One archive, as `backup.status` lists it. */
export interface BackupInfo {
  path: string;
  size: number;
  createdAt: string;
}

/** Where a backup's parts come from. */
export interface BackupSourcePaths {
  paths: StatePaths;
  /** The config file, which may live outside the state dir (`PYCLAW_CONFIG_PATH`). */
  configPath: string;
}

/** True for names a backup may contain; restore refuses anything else. */
export function isBackupEntryName(name: string): boolean {
  return name === "pyclaw.json" || name === "devices.json" ||
    /^agents\/[^/]+\/sessions(\/.+)?$/.test(name) || name === "agents" ||
    /^agents\/[^/]+$/.test(name) ||
    /^(cron|plans)(\/.+)?$/.test(name);
}

/** Lists the files a backup takes, as archive names (forward slashes) and disk paths. */
export async function collectBackupSources(where: BackupSourcePaths): Promise<ArchiveSource[]> {
  const { paths } = where;
  const sources: ArchiveSource[] = [];
  if (await isFile(where.configPath)) sources.push({ name: "pyclaw.json", path: where.configPath });
  if (await isFile(paths.pairingsFile)) {
    sources.push({ name: "devices.json", path: paths.pairingsFile });
  }
  for (const agentId of await listDir(paths.agentsDir, "dir")) {
    await walk(paths.sessionsDir(agentId), paths.root, sources);
  }
  await walk(paths.cronDir, paths.root, sources);
  await walk(paths.plansDir, paths.root, sources);
  return sources;
}

/**
 * Writes a new archive under `<state>/backups/`, then deletes the oldest ones past `keep`.
 */
export function exportBackup(
  where: BackupSourcePaths,
  options: { keep: number; now?: Date },
): Promise<BackupResult> {
  // One export at a time per folder: two in the same millisecond would pick the same free name,
  // and the loser's clean-up would delete the winner's archive.
  const dir = where.paths.backupsDir;
  const previous = exportQueue.get(dir) ?? Promise.resolve();
  const run = previous.then(() => exportNow(where, options));
  const settled = run.then(() => {}, () => {});
  exportQueue.set(dir, settled);
  settled.then(() => {
    if (exportQueue.get(dir) === settled) exportQueue.delete(dir);
  });
  return run;
}

const exportQueue = new Map<string, Promise<void>>();

async function exportNow(
  where: BackupSourcePaths,
  options: { keep: number; now?: Date },
): Promise<BackupResult> {
  const now = options.now ?? new Date();
  const dir = where.paths.backupsDir;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const sources = await collectBackupSources(where);
  const path = await freshName(dir, now);
  let files: string[];
  try {
    files = await writeBackupArchive(path, sources, now);
  } catch (error) {
    await Deno.remove(path).catch(() => {});
    throw error;
  }
  const size = (await Deno.stat(path)).size;
  await pruneBackups(dir, options.keep);
  return { path, files, size, createdAt: now.toISOString() };
}

/** Every archive under `<state>/backups/`, newest first. */
export async function listBackups(paths: StatePaths): Promise<BackupInfo[]> {
  const backups: BackupInfo[] = [];
  for (const name of await listDir(paths.backupsDir, "file")) {
    if (!BACKUP_NAME.test(name)) continue;
    const path = join(paths.backupsDir, name);
    try {
      const stat = await Deno.stat(path);
      backups.push({ path, size: stat.size, createdAt: createdAtOf(name) });
    } catch {
      // removed meanwhile
    }
  }
  return backups.sort((a, b) => b.path.localeCompare(a.path));
}

/** Deletes archives past the newest `keep`; other files in the folder are never touched. */
export async function pruneBackups(dir: string, keep: number): Promise<string[]> {
  const names = (await listDir(dir, "file")).filter((name) => BACKUP_NAME.test(name)).sort()
    .reverse();
  const removed: string[] = [];
  for (const name of names.slice(keep)) {
    await Deno.remove(join(dir, name)).catch(() => {});
    removed.push(join(dir, name));
  }
  return removed;
}

async function freshName(dir: string, now: Date): Promise<string> {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace("T", "-").replace(".", "-")
    .replace("Z", "");
  for (let n = 0;; n++) {
    const path = join(dir, `pyclaw-backup-${stamp}${n ? `-${n}` : ""}.tar.gz`);
    try {
      await Deno.lstat(path);
    } catch {
      return path;
    }
  }
}

function createdAtOf(name: string): string {
  const m = name.match(/^pyclaw-backup-(\d{4})(\d\d)(\d\d)-(\d\d)(\d\d)(\d\d)-(\d{3})/)!;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${m[7]}Z`;
}

/** Adds every regular file under `dir`; links are not followed, so nothing outside gets in. */
async function walk(dir: string, root: string, out: ArchiveSource[]): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    if (!(await Deno.lstat(dir)).isDirectory) return;
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return;
    }
    throw error;
  }
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) await walk(path, root, out);
    else if (entry.isFile && !entry.name.endsWith(".tmp")) {
      out.push({ name: relative(root, path).split(sep).join("/"), path });
    }
  }
}

async function listDir(dir: string, kind: "file" | "dir"): Promise<string[]> {
  try {
    const names: string[] = [];
    for await (const entry of Deno.readDir(dir)) {
      if (kind === "file" ? entry.isFile : entry.isDirectory) names.push(entry.name);
    }
    return names;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.lstat(path)).isFile;
  } catch {
    return false;
  }
}
