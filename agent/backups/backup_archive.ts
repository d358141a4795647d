/**
 * @module The backup archive format: a gzip'd ustar archive (written and read by `modern-tar`,
 * compressed by the platform's `CompressionStream`) whose first entry is a manifest. Reading
 * validates every entry's name and type before anything touches the disk.
 */

import { createTarDecoder, createTarPacker } from "modern-tar";

/** The manifest's entry name; always the first entry of an archive. */
export const MANIFEST_NAME = "backup-manifest.json";
export const BACKUP_FORMAT = "pyclaw-backup";
export const BACKUP_VERSION = 1;

/** Bounds on what a restore accepts, so a hostile archive cannot fill the disk. */
export const ARCHIVE_LIMITS = { maxEntries: 100_000, maxTotalBytes: 4 * 1024 ** 3 };

/** What the manifest records. */
export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  createdAt: string;
  files: string[];
}

/** One file to archive: its name in the archive and where to read it from. */
export interface ArchiveSource {
  name: string;
  path: string;
}

/**
 * Writes `sources` (plus the manifest) as a tar.gz to `target`, streaming file by file.
 *
 * @returns the names archived, files that vanished while archiving left out
 */
export async function writeBackupArchive(
  target: string,
  sources: ArchiveSource[],
  createdAt: Date,
): Promise<string[]> {
  const names = sources.map((source) => source.name);
  const { readable, controller } = createTarPacker();
  const file = await Deno.open(target, { write: true, createNew: true, mode: 0o600 });
  const sink = readable.pipeThrough(new CompressionStream("gzip")).pipeTo(file.writable);
  // A failed sink would leave the writers below waiting forever; surface it to them instead.
  sink.catch((error) => controller.error(error));
  const add = async (name: string, data: Uint8Array, mtime: Date) => {
    const writer = controller.add({ name, size: data.length, mtime, mode: 0o600, type: "file" })
      .getWriter();
    await writer.write(data);
    await writer.close();
  };
  const archived: string[] = [];
  try {
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: createdAt.toISOString(),
      files: names,
    };
    await add(
      MANIFEST_NAME,
      new TextEncoder().encode(JSON.stringify(manifest, null, 2)),
      createdAt,
    );
    for (const source of sources) {
      let data: Uint8Array;
      let mtime: Date;
      try {
        data = await Deno.readFile(source.path);
        mtime = (await Deno.stat(source.path)).mtime ?? createdAt;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) continue;
        throw error;
      }
      await add(source.name, data, mtime);
      archived.push(source.name);
    }
    controller.finalize();
    await sink;
  } catch (error) {
    controller.error(error);
    await sink.catch(() => {});
    throw error;
  }
  return archived;
}

/** A problem with an archive; nothing was changed when this is thrown. */
export class BackupArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupArchiveError";
  }
}

/**
 * Checks that an entry name is a plain relative path: no absolute path, drive letter,
 * backslash, `..`, `.` or empty segment, and no NUL.
 */
export function isSafeEntryName(name: string): boolean {
  if (!name || name.includes("\0") || name.includes("\\")) return false;
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return false;
  const parts = name.replace(/\/$/, "").split("/");
  return parts.every((part) => part !== "" && part !== "." && part !== "..");
}

/** An entry read from an archive: a regular file's data, or a directory. */
export interface ArchiveEntry {
  name: string;
  type: "file" | "directory";
  data?: Uint8Array;
}

/**
 * Reads and validates a backup archive, calling `onEntry` for each file or directory after
 * its checks pass. `accept` decides which names belong in a backup.
 *
 * @throws {BackupArchiveError} for a corrupt archive, a missing or wrong manifest, an unsafe
 * or unexpected name, a link or special file, or an archive past {@linkcode ARCHIVE_LIMITS}
 */
export async function readBackupArchive(
  path: string,
  accept: (name: string) => boolean,
  onEntry: (entry: ArchiveEntry) => Promise<void>,
): Promise<BackupManifest> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new BackupArchiveError(`Cannot open backup ${path}: ${(error as Error).message}`);
  }
  const decoder = createTarDecoder({ strict: true });
  const entries = file.readable
    .pipeThrough(new DecompressionStream("gzip"))
    .pipeThrough(decoder);
  let manifest: BackupManifest | undefined;
  let count = 0;
  let total = 0;
  try {
    for await (const entry of entries) {
      const { name: rawName, type = "file", size } = entry.header;
      const name = rawName.replace(/\/$/, "");
      count++;
      total += size;
      if (count > ARCHIVE_LIMITS.maxEntries || total > ARCHIVE_LIMITS.maxTotalBytes) {
        throw new BackupArchiveError("Backup is larger than a restore accepts");
      }
      if (!isSafeEntryName(rawName)) {
        throw new BackupArchiveError(`Refusing entry that escapes the state dir: ${rawName}`);
      }
      if (type !== "file" && type !== "directory") {
        throw new BackupArchiveError(`Refusing ${type} entry: ${rawName}`);
      }
      const data = type === "file"
        ? new Uint8Array(await new Response(entry.body).arrayBuffer())
        : (await entry.body.cancel(), undefined);
      if (count === 1) {
        if (name !== MANIFEST_NAME || !data) {
          throw new BackupArchiveError(`Not a pyclaw backup: the first entry is ${rawName}`);
        }
        manifest = parseManifest(data);
        continue;
      }
      if (!accept(name)) throw new BackupArchiveError(`Unexpected entry in backup: ${rawName}`);
      await onEntry({ name, type, data });
    }
  } catch (error) {
    if (error instanceof BackupArchiveError) throw error;
    throw new BackupArchiveError(`Corrupt backup ${path}: ${(error as Error).message}`);
  } finally {
    // The decoder may stop early on an error; make sure the file is closed either way.
    try {
      file.close();
    } catch {
      // already closed by the stream
    }
  }
  if (!manifest) throw new BackupArchiveError(`Not a pyclaw backup (empty archive): ${path}`);
  return manifest;
}

function parseManifest(data: Uint8Array): BackupManifest {
  let value: Partial<BackupManifest>;
  try {
    value = JSON.parse(new TextDecoder().decode(data));
  } catch {
    throw new BackupArchiveError("Not a pyclaw backup: the manifest is not JSON");
  }
  if (value.format !== BACKUP_FORMAT || value.version !== BACKUP_VERSION) {
    throw new BackupArchiveError(
      `Unsupported backup format ${String(value.format)} version ${String(value.version)}`,
    );
  }
  return value as BackupManifest;
}
