/**
 * @module Files `send_file` hands to the user, kept for download for a while. Each offer copies
 * the file into the state dir (so later edits or a swapped symlink cannot change what is served)
 * and gets an unguessable token; the gateway's `/files/<id>` route serves it until it expires.
 */

import { bytesEqual } from "../core/bytes.ts";
import { join } from "../core/path.ts";

/** A file ready for download. */
export interface FileOffer {
  id: string;
  /** The download path on the gateway's HTTP listener, token included. */
  url: string;
  expiresAt: number;
}

/** What `send_file` needs from the delivery service. */
export interface FileDelivery {
  /**
   * Copies `source` aside and makes it downloadable until it expires.
   *
   * @throws {Error} when the copy fails
   */
  offer(source: string, info: { name: string; mimeType: string; sessionId: string }): Promise<
    FileOffer
  >;
}

/** A stored offer, as the download route reads it. */
export interface StoredFile {
  file: string;
  name: string;
  mimeType: string;
  size: number;
  expiresAt: number;
}

/** Options for {@linkcode FileDeliveryStore}. */
export interface FileDeliveryOptions {
  /** Folder for the copies; emptied at start and on close. */
  dir: string;
  /** How long an offer lasts, read at each offer (config reloads apply). */
  ttlMs: () => number;
  /** @default Date.now */
  now?: () => number;
}

/** The route prefix the gateway serves offers under. */
export const FILE_ROUTE_PREFIX = "/files/";

/** Every offered file of one gateway. */
export class FileDeliveryStore implements FileDelivery {
  #files = new Map<string, StoredFile & { token: string }>();
  #options: FileDeliveryOptions;
  #now: () => number;
  #ready: Promise<void> | undefined;

  constructor(options: FileDeliveryOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async offer(
    source: string,
    info: { name: string; mimeType: string; sessionId: string },
  ): Promise<FileOffer> {
    await this.#prune();
    this.#ready ??= this.#reset();
    await this.#ready;
    const id = randomId(16);
    const token = randomId(24);
    const file = join(this.#options.dir, id);
    await Deno.copyFile(source, file);
    const { size } = await Deno.stat(file);
    const expiresAt = this.#now() + this.#options.ttlMs();
    this.#files.set(id, { file, name: info.name, mimeType: info.mimeType, size, expiresAt, token });
    return { id, url: `${FILE_ROUTE_PREFIX}${id}?token=${token}`, expiresAt };
  }

  /** The offer with this id, when `token` is its token and it has not expired. */
  async open(id: string, token: string): Promise<StoredFile | undefined> {
    await this.#prune();
    const stored = this.#files.get(id);
    if (!stored || !sameToken(stored.token, token)) return undefined;
    const { token: _secret, ...file } = stored;
    return file;
  }

  /** Forgets every offer and removes the copies. */
  async close(): Promise<void> {
    this.#files.clear();
    if (this.#ready) await Deno.remove(this.#options.dir, { recursive: true }).catch(() => {});
  }

  async #reset(): Promise<void> {
    // Copies left by a previous run can no longer be downloaded: their tokens died with it.
    await Deno.remove(this.#options.dir, { recursive: true }).catch(() => {});
    await Deno.mkdir(this.#options.dir, { recursive: true, mode: 0o700 });
  }

  async #prune(): Promise<void> {
    const now = this.#now();
    for (const [id, stored] of this.#files) {
      if (stored.expiresAt > now) continue;
      this.#files.delete(id);
      await Deno.remove(stored.file).catch(() => {});
    }
  }
}

function randomId(bytes: number): string {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

function sameToken(expected: string, given: string): boolean {
  const a = new TextEncoder().encode(expected);
  const b = new TextEncoder().encode(given);
  return bytesEqual(a, b);
}
