/**
 * @module Downloads one hub file into a partial file that survives interruption: resumes with an
 * HTTP Range request, hashes as it goes, and verifies size and sha256 before reporting success.
 */

import { createHash, type Hash } from "node:crypto";
import * as nodeFs from "node:fs";
import { dirname } from "../../core/path.ts";
import { statIfExists } from "../../core/fs.ts";
import { type DownloadRequest, ModelDownloadError } from "./hub.ts";

/** Options for {@linkcode downloadToPartial}. */
export interface DownloadFileOptions {
  request: DownloadRequest;
  /** The file being filled; left in place (resumable) when the download stops early. */
  partialPath: string;
  /** Expected size in bytes. */
  size: number;
  /** Expected sha256 (hex); when absent only the size is checked. */
  sha256?: string;
  /** Name shown in messages, e.g. `Qwen/Qwen3-4B-GGUF/qwen3-4b-q4_k_m.gguf`. */
  label: string;
  signal?: AbortSignal;
  /** Called with the bytes already kept before any new byte arrives. */
  onStart?: (resumedFrom: number, total: number) => void;
  /** Called after every chunk written. */
  onProgress?: (received: number, total: number) => void;
  /** A connection that sends nothing for this long is treated as dropped. @default 60000 */
  stallTimeoutMs?: number;
}

/**
 * Fills `partialPath` with the file and checks it.
 *
 * @returns the sha256 of the complete file
 * @throws {ModelDownloadError} `connection` / `interrupted` (partial kept), `checksum` / `size`
 * (partial removed), `disk_full`, `not_found`, `forbidden`, `http`
 */
export async function downloadToPartial(options: DownloadFileOptions): Promise<string> {
  const { partialPath, size, label } = options;
  await Deno.mkdir(dirname(partialPath), { recursive: true });
  // An empty file needs no request, but must exist to be hashed and moved.
  if (size === 0) await Deno.writeFile(partialPath, new Uint8Array());
  let have = await fileSize(partialPath);
  if (have > size) have = await restart(partialPath);
  // Hash what is kept before asking for the rest, so a slow hash of a big partial file cannot
  // leave an open response idle long enough for the server to drop it.
  let hash = createHash("sha256");
  if (have > 0) await hashFile(partialPath, hash);
  if (have === size) {
    options.onStart?.(have, size);
    return await verify(options, have, hash.digest("hex"));
  }
  let response = await request(options, have);
  if (have > 0 && !isResumeOf(response, have)) {
    // The server ignored the range (or answered with another one): start over cleanly.
    await response.body?.cancel();
    have = await restart(partialPath);
    hash = createHash("sha256");
    response = await request(options, 0);
  }
  if (response.status === 416) {
    await response.body?.cancel();
    throw new ModelDownloadError("http", `Download of ${label} failed: HTTP 416`);
  }
  await ensureSpace(dirname(partialPath), size - have, label);
  options.onStart?.(have, size);
  have = await receive(response, options, have, hash);
  return await verify(options, have, hash.digest("hex"));
}

async function verify(options: DownloadFileOptions, have: number, actual: string): Promise<string> {
  const { partialPath, size, sha256, label } = options;
  if (have < size) {
    throw new ModelDownloadError(
      "connection",
      `Connection dropped after ${have} of ${size} bytes of ${label}; ` +
        "run the same command again to resume",
    );
  }
  if (have !== size) {
    await Deno.remove(partialPath).catch(() => {});
    throw new ModelDownloadError(
      "size",
      `Size mismatch for ${label}: expected ${size} bytes, got ${have}; the partial file was removed`,
    );
  }
  if (sha256 && actual !== sha256.toLowerCase()) {
    await Deno.remove(partialPath).catch(() => {});
    throw new ModelDownloadError(
      "checksum",
      `Checksum mismatch for ${label}: expected sha256 ${sha256}, got ${actual}; ` +
        "the file was removed and nothing was added to the store",
    );
  }
  return actual;
}

async function request(options: DownloadFileOptions, from: number): Promise<Response> {
  const headers: Record<string, string> = { ...options.request.headers };
  if (from > 0) headers.range = `bytes=${from}-`;
  let response: Response;
  try {
    response = await fetch(options.request.url, { headers, signal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw interrupted(options, from);
    throw new ModelDownloadError(
      "connection",
      `Cannot download ${options.label}: ${(error as Error).message}`,
    );
  }
  if (response.ok || response.status === 416) return response;
  await response.body?.cancel();
  if (response.status === 404) {
    throw new ModelDownloadError("not_found", `File not found on the hub: ${options.label}`);
  }
  if (response.status === 401 || response.status === 403) {
    throw new ModelDownloadError(
      "forbidden",
      `Access to ${options.label} was refused (HTTP ${response.status}); for a gated repo set HF_TOKEN`,
    );
  }
  throw new ModelDownloadError(
    "http",
    `Download of ${options.label} failed: HTTP ${response.status}`,
  );
}

function isResumeOf(response: Response, from: number): boolean {
  if (response.status !== 206) return false;
  const start = response.headers.get("content-range")?.match(/^bytes (\d+)-/)?.[1];
  return Number(start) === from;
}

async function receive(
  response: Response,
  options: DownloadFileOptions,
  start: number,
  hash: Hash,
): Promise<number> {
  if (!response.body) return start;
  let have = start;
  const file = await Deno.open(options.partialPath, { write: true, create: true, append: true });
  const reader = response.body.getReader();
  let stalled = false;
  const stallMs = options.stallTimeoutMs ?? 60_000;
  let timer = setTimeout(onStall, stallMs);
  function onStall() {
    stalled = true;
    reader.cancel().catch(() => {});
  }
  const onAbort = () => reader.cancel().catch(() => {});
  options.signal?.addEventListener("abort", onAbort);
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (error) {
        if (options.signal?.aborted) throw interrupted(options, have);
        throw new ModelDownloadError(
          "connection",
          `Connection dropped after ${have} of ${options.size} bytes of ${options.label} ` +
            `(${(error as Error).message}); run the same command again to resume`,
        );
      }
      if (options.signal?.aborted) throw interrupted(options, have);
      if (stalled) {
        throw new ModelDownloadError(
          "connection",
          `No data for ${stallMs / 1000}s after ${have} of ${options.size} bytes of ` +
            `${options.label}; run the same command again to resume`,
        );
      }
      if (chunk.done) break;
      clearTimeout(timer);
      timer = setTimeout(onStall, stallMs);
      await writeAll(file, chunk.value, options.label);
      hash.update(chunk.value);
      have += chunk.value.length;
      options.onProgress?.(have, options.size);
    }
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
    file.close();
  }
  return have;
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array, label: string): Promise<void> {
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
  } catch (error) {
    if (/No space left|ENOSPC|os error 28/i.test(String(error))) {
      throw new ModelDownloadError(
        "disk_full",
        `Disk full while writing ${label}; free some space and run the same command to resume`,
      );
    }
    throw error;
  }
}

function interrupted(options: DownloadFileOptions, have: number): ModelDownloadError {
  return new ModelDownloadError(
    "interrupted",
    `Interrupted after ${have} of ${options.size} bytes of ${options.label}; the partial file ` +
      `${options.partialPath} is kept: run the same command again to resume`,
  );
}

type StatFs = (
  path: string,
  callback: (error: Error | null, stats: { bavail: number; bsize: number }) => void,
) => void;

async function ensureSpace(dir: string, needed: number, label: string): Promise<void> {
  let free: number;
  try {
    // `statfs` exists at run time; the pinned @types/node predates it.
    const statfs = (nodeFs as unknown as { statfs: StatFs }).statfs;
    const stats = await new Promise<{ bavail: number; bsize: number }>((resolve, reject) =>
      statfs(dir, (error, result) => error ? reject(error) : resolve(result))
    );
    free = Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return; // not every platform answers; the write itself still reports a full disk
  }
  if (free < needed) {
    throw new ModelDownloadError(
      "disk_full",
      `Not enough disk space for ${label}: ${needed} bytes needed, ${free} free in ${dir}`,
    );
  }
}

async function fileSize(path: string): Promise<number> {
  return (await statIfExists(path))?.size ?? 0;
}

async function restart(path: string): Promise<number> {
  await Deno.remove(path).catch(() => {});
  return 0;
}

async function hashFile(path: string, hash: Hash): Promise<void> {
  // `readable` closes the file when it ends.
  const file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
}
