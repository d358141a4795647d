/**
 * @module Browser profiles: named, persistent Chromium user-data folders under the state dir.
 * Names are validated before any path is built from them, so no name can reach outside.
 */

import { join } from "../../core/path.ts";
import { ErrorCode, GatewayError } from "../../core/errors.ts";
import { containedPath } from "../../core/paths.ts";
import { PROFILE_NAME_PATTERN, PROFILE_NAME_RULE } from "../../core/protocol/methods/browser.ts";

/** The profile that always exists. */
export const DEFAULT_PROFILE = "default";

// The rule is part of the wire contract (`browser.*` params); it lives in the catalogue.
export { PROFILE_NAME_PATTERN, PROFILE_NAME_RULE };

/**
 * Returns `name` when it is a valid profile name.
 *
 * @throws {GatewayError} INVALID_PARAMS naming the bad value
 */
export function validateProfileName(name: string): string {
  if (!PROFILE_NAME_PATTERN.test(name)) {
    throw new GatewayError(
      ErrorCode.INVALID_PARAMS,
      `Invalid browser profile name ${JSON.stringify(name)}: ${PROFILE_NAME_RULE}`,
    );
  }
  return name;
}

/** The profile folders under one root (`<state>/browser/profiles`). */
export class ProfileStore {
  readonly root: string;
  #builtins: () => string[];

  /**
   * @param root the folder that holds one sub-folder per profile
   * @param builtins names that exist without being created (`default` and the configured one)
   */
  constructor(root: string, builtins: () => string[] = () => [DEFAULT_PROFILE]) {
    this.root = root;
    this.#builtins = builtins;
  }

  /** The user-data folder of a (validated) profile name. */
  dirOf(name: string): string {
    const dir = containedPath(this.root, validateProfileName(name));
    if (!dir || dir === this.root) {
      throw new GatewayError(ErrorCode.INVALID_PARAMS, `Invalid browser profile name: ${name}`);
    }
    return dir;
  }

  isBuiltin(name: string): boolean {
    return this.#builtins().includes(name);
  }

  async exists(name: string): Promise<boolean> {
    if (this.isBuiltin(name)) return true;
    try {
      return (await Deno.stat(this.dirOf(name))).isDirectory;
    } catch {
      return false;
    }
  }

  /** Every profile name, built-in ones included, sorted. */
  async list(): Promise<string[]> {
    const names = new Set(this.#builtins());
    try {
      for await (const entry of Deno.readDir(this.root)) {
        if (entry.isDirectory && PROFILE_NAME_PATTERN.test(entry.name)) names.add(entry.name);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return [...names].sort();
  }

  /**
   * Makes sure the folder of an existing profile is there (built-in ones are made on first use).
   *
   * @throws {GatewayError} NOT_FOUND for a profile that was never created
   */
  async prepare(name: string): Promise<string> {
    if (!(await this.exists(name))) throw notFound(name);
    const dir = this.dirOf(name);
    await Deno.mkdir(dir, { recursive: true });
    return dir;
  }

  /** @throws {GatewayError} ALREADY_EXISTS when the profile exists */
  async create(name: string): Promise<string> {
    const dir = this.dirOf(name);
    if (await this.exists(name)) {
      throw new GatewayError(ErrorCode.ALREADY_EXISTS, `Browser profile already exists: ${name}`);
    }
    await Deno.mkdir(this.root, { recursive: true });
    try {
      await Deno.mkdir(dir);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) {
        throw new GatewayError(ErrorCode.ALREADY_EXISTS, `Browser profile already exists: ${name}`);
      }
      throw error;
    }
    return dir;
  }

  /**
   * Deletes a profile's folder with everything in it (cookies, storage, history).
   *
   * @throws {GatewayError} NOT_FOUND for an unknown profile, INVALID_PARAMS for a built-in one
   */
  async remove(name: string): Promise<void> {
    const dir = this.dirOf(name);
    if (this.isBuiltin(name)) {
      throw new GatewayError(
        ErrorCode.INVALID_PARAMS,
        `The default browser profile cannot be deleted: ${name}`,
      );
    }
    if (!(await this.exists(name))) throw notFound(name);
    // Rename first so a half-deleted folder never looks like a usable profile.
    const doomed = join(this.root, `.deleting-${name}-${crypto.randomUUID().slice(0, 8)}`);
    await Deno.rename(dir, doomed);
    await Deno.remove(doomed, { recursive: true });
  }
}

export function notFound(name: string): GatewayError {
  return new GatewayError(ErrorCode.NOT_FOUND, `Browser profile not found: ${name}`);
}
