/** @module Small file-system operations that keep saved data whole across crashes. */

import { dirname, isAbsolute, relative, resolve, sep } from "./path.ts";

/** Options for {@linkcode writeFileAtomic}. */
export interface AtomicWriteOptions {
  /** File mode of the new file. @default 0o644 */
  mode?: number;
}

/**
 * Writes `data` to a temp file beside `path`, flushes it, and renames it into place, so a
 * reader or a crash never sees half a file.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  // A private file's folder, when this write makes it, is private too (the state dir).
  const mode = options.mode ?? 0o644;
  await Deno.mkdir(dirname(path), { recursive: true, mode: (mode & 0o077) === 0 ? 0o700 : 0o777 });
  const temp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const file = await Deno.open(temp, {
    write: true,
    create: true,
    truncate: true,
    mode,
  });
  try {
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(temp, path);
  } catch (error) {
    // A full disk fails the write or the sync as well as the rename: no temp file is left.
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

/**
 * Bytes `[from, to)` of a file (fewer when it ends sooner): for a check of the bytes before an
 * offset, or a read of only what a file grew by.
 */
export async function readRange(file: string, from: number, to: number): Promise<Uint8Array> {
  const handle = await Deno.open(file, { read: true });
  try {
    return await readAt(handle, from, Math.max(0, to - from));
  } finally {
    handle.close();
  }
}

/**
 * `length` bytes of an open file from byte `position` (fewer when it ends sooner). Moves the
 * file's position to just past them.
 */
export async function readAt(
  handle: Deno.FsFile,
  position: number,
  length: number,
): Promise<Uint8Array> {
  await handle.seek(position, Deno.SeekMode.Start);
  const bytes = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = await handle.read(bytes.subarray(filled));
    if (n === null) break;
    filled += n;
  }
  return bytes.subarray(0, filled);
}

/**
 * The `count` bytes before `offset` (fewer near the file's start): what a reader keeps of a file
 * it read up to `offset`, to tell later that the file still holds what it read (an append keeps
 * them; a cut, rewrite or replacement, as a rule, does not).
 */
export function bytesBefore(file: string, offset: number, count: number): Promise<Uint8Array> {
  return readRange(file, Math.max(0, offset - count), offset);
}

/** Reads a text file, or returns `undefined` when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** Stats a path (following links), or returns `undefined` when it does not exist. */
export async function statIfExists(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * True when `path` is `dir` or lies inside it, after resolving both (no file system access, so
 * links are not followed: callers that must see through them resolve real paths first).
 */
export function isInsideDir(path: string, dir: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * `call` over `items`, `size` at a time, the results in order: for file-system calls over many
 * paths. One at a time, each waits a round of the event loop (5,000 session files took 0.4 s to
 * stat); all at once, thousands would fill the runtime's blocking pool ahead of other work.
 */
export async function inBatches<T, R>(
  items: readonly T[],
  call: (item: T) => Promise<R>,
  size = 64,
): Promise<R[]> {
  if (!(size >= 1)) throw new RangeError(`inBatches: a batch of ${size}`);
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    results.push(...await Promise.all(items.slice(i, i + size).map((item) => call(item))));
  }
  return results;
}
