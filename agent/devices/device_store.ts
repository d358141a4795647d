/**
 * @module Paired devices on disk (`<state>/devices.json`, mode 0600): each device's name, when it
 * paired, and the SHA-256 of its token. The token itself is shown once and never stored.
 */

import { importLazily, loadOnce } from "../../core/lazy_module.ts";
import { readTextIfExists, writeFileAtomic } from "../../core/fs.ts";
import type { DeviceRole } from "./device_roles.ts";

/** One paired device, as stored. */
export interface DeviceRecord {
  id: string;
  name: string;
  tokenHash: string;
  pairedAt: string;
  lastSeenAt?: string;
  /** What it may do; devices paired before roles existed read as the default role. */
  role?: DeviceRole;
}

// The file's schema (and zod) load with the first pairings file read: a gateway nobody has
// paired with idles without them (issue 17).
const devicesFile = loadOnce(() =>
  importLazily<typeof import("./_devices_file_schema.ts")>(
    new URL("./_devices_file_schema.ts", import.meta.url),
  )
);

/** Hex SHA-256 of a token; what the store keeps instead of the token. */
export async function hashToken(token: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The paired devices, loaded once and written through atomically on every change. */
export class DeviceStore {
  #file: string;
  #devices: Map<string, DeviceRecord> | undefined;
  #loading: Promise<Map<string, DeviceRecord>> | undefined;
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string) {
    this.#file = file;
  }

  /** Every device, oldest pairing first. */
  async list(): Promise<DeviceRecord[]> {
    return [...(await this.#load()).values()];
  }

  /** The device whose token hashes to `tokenHash`, if any. */
  async findByTokenHash(tokenHash: string): Promise<DeviceRecord | undefined> {
    for (const device of (await this.#load()).values()) {
      if (device.tokenHash === tokenHash) return device;
    }
    return undefined;
  }

  async add(device: DeviceRecord): Promise<void> {
    (await this.#load()).set(device.id, device);
    await this.#save();
  }

  /** The device with this id, if any. */
  async get(id: string): Promise<DeviceRecord | undefined> {
    return (await this.#load()).get(id);
  }

  /** @returns false when no device has this id */
  async setRole(id: string, role: DeviceRole): Promise<boolean> {
    const device = (await this.#load()).get(id);
    if (!device) return false;
    device.role = role;
    await this.#save();
    return true;
  }

  /** @returns false when no device has this id */
  async remove(id: string): Promise<boolean> {
    const devices = await this.#load();
    if (!devices.delete(id)) return false;
    await this.#save();
    return true;
  }

  /** Records a use without writing at once; the next change (or `flush`) persists it. */
  async touch(id: string, when = new Date()): Promise<void> {
    const device = (await this.#load()).get(id);
    if (device) device.lastSeenAt = when.toISOString();
  }

  /** Writes pending `lastSeenAt` updates. */
  async flush(): Promise<void> {
    if (this.#devices) await this.#save();
  }

  #load(): Promise<Map<string, DeviceRecord>> {
    if (this.#devices) return Promise.resolve(this.#devices);
    this.#loading ??= (async () => {
      const text = await readTextIfExists(this.#file);
      const devices = new Map<string, DeviceRecord>();
      if (text !== undefined) {
        // A damaged file must not silently unpair everyone (or let anyone in): fail loudly.
        const parsed = (await devicesFile()).fileSchema.safeParse(JSON.parse(text));
        if (!parsed.success) throw new Error(`Invalid device pairings file ${this.#file}`);
        for (const device of parsed.data.devices) devices.set(device.id, device);
      }
      this.#devices = devices;
      return devices;
    })();
    return this.#loading;
  }

  #save(): Promise<void> {
    const body = JSON.stringify({ version: 1, devices: [...this.#devices!.values()] }, null, 2);
    // Serialize writes so an older snapshot never lands after a newer one.
    this.#writing = this.#writing.catch(() => {}).then(() =>
      writeFileAtomic(this.#file, body + "\n", { mode: 0o600 })
    );
    return this.#writing;
  }
}
