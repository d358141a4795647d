/**
 * @module Device pairing: a trusted client asks for a short one-time code; the new device
 * presents it (with its answer, `accept` or `reject`) and gets its own token, which `connect`
 * accepts until the device is revoked. Codes live in memory only, so a restart voids them.
 */

import { GatewayError } from "../../core/errors.ts";
import { DEFAULT_DEVICE_ROLE, type DeviceRole } from "./device_roles.ts";
import { type DeviceRecord, DeviceStore, hashToken } from "./device_store.ts";

/** Crockford base32: no I, L, O or U, so a code read aloud or typed is hard to get wrong. */
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE_LENGTH = 8;
/** Pending codes at once; the oldest is dropped past this. */
const MAX_PENDING = 32;

/** Failed completions allowed per address, and in all, per sliding minute. */
export const PAIRING_LIMITS = { perAddress: 5, total: 30, windowMs: 60_000 };

/** What `device.initiate` returns. */
export interface PairingCode {
  code: string;
  deviceName: string;
  role: DeviceRole;
  expiresAt: string;
  expiresInMs: number;
}

/** What a successful `device.complete` returns; `token` is shown this once. */
export interface PairingResult {
  paired: true;
  deviceId: string;
  deviceName: string;
  role: DeviceRole;
  token: string;
  pairedAt: string;
}

/** A device as `device.list` shows it (never its token hash). */
export interface DeviceInfo {
  deviceId: string;
  deviceName: string;
  role: DeviceRole;
  pairedAt: string;
  lastSeenAt?: string;
}

interface Pending {
  deviceName: string;
  role: DeviceRole;
  expiresAt: number;
}

/** Options for {@linkcode DevicePairing}. */
export interface DevicePairingOptions {
  /** How long a code stays valid, read at each `initiate` (config `devices.codeTtlMs`). */
  codeTtlMs: () => number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** Pairing codes, the failure limiter, and the paired devices' tokens. */
export class DevicePairing {
  readonly store: DeviceStore;
  #pending = new Map<string, Pending>();
  #failures: { address: string; at: number }[] = [];
  #ttl: () => number;
  #now: () => number;
  #revokedListeners = new Set<(deviceId: string) => void>();

  constructor(file: string, options: DevicePairingOptions) {
    this.store = new DeviceStore(file);
    this.#ttl = options.codeTtlMs;
    this.#now = options.now ?? Date.now;
  }

  /** Issues a one-time code for a device to be called `deviceName`, to hold `role`. */
  initiate(deviceName: string, role: DeviceRole = DEFAULT_DEVICE_ROLE): PairingCode {
    this.#expire();
    const code = randomCode();
    const ttl = this.#ttl();
    const expiresAt = this.#now() + ttl;
    this.#pending.set(code, { deviceName, role, expiresAt });
    if (this.#pending.size > MAX_PENDING) {
      this.#pending.delete(this.#pending.keys().next().value!);
    }
    return {
      code: `${code.slice(0, 4)}-${code.slice(4)}`,
      deviceName,
      role,
      expiresAt: new Date(expiresAt).toISOString(),
      expiresInMs: ttl,
    };
  }

  /**
   * Completes a pairing. The code is spent whatever the answer; `reject` declines it.
   *
   * @throws {GatewayError} RATE_LIMITED after too many failures from `address` (or in all),
   * INVALID_PARAMS for a wrong, used or expired code
   */
  async complete(
    code: string,
    response: "accept" | "reject",
    address: string,
  ): Promise<PairingResult | { paired: false }> {
    this.#checkRate(address);
    this.#expire();
    const key = normalizeCode(code);
    const pending = this.#pending.get(key);
    if (!pending) {
      this.#failures.push({ address, at: this.#now() });
      throw new GatewayError("INVALID_PARAMS", "Invalid or expired pairing code");
    }
    this.#pending.delete(key);
    if (response === "reject") return { paired: false };
    const token = `pcd_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
    const record: DeviceRecord = {
      id: crypto.randomUUID(),
      name: pending.deviceName,
      tokenHash: await hashToken(token),
      pairedAt: new Date(this.#now()).toISOString(),
      role: pending.role,
    };
    await this.store.add(record);
    return {
      paired: true,
      deviceId: record.id,
      deviceName: record.name,
      role: pending.role,
      token,
      pairedAt: record.pairedAt,
    };
  }

  /** True when `token` belongs to a paired device. */
  async verifyToken(token: string): Promise<boolean> {
    return (await this.deviceOf(token)) !== undefined;
  }

  /** The id of the paired device holding `token`; `connect`'s and HTTP's extra credential. */
  async deviceOf(token: string): Promise<string | undefined> {
    if (!token.startsWith("pcd_")) return undefined;
    try {
      const device = await this.store.findByTokenHash(await hashToken(token));
      if (device) await this.store.touch(device.id, new Date(this.#now()));
      return device?.id;
    } catch {
      return undefined; // an unreadable pairings file lets nobody in (the doctor reports it)
    }
  }

  /** Calls `listener` with each revoked device's id; returns the unsubscribe function. */
  onRevoked(listener: (deviceId: string) => void): () => void {
    this.#revokedListeners.add(listener);
    return () => this.#revokedListeners.delete(listener);
  }

  async list(): Promise<DeviceInfo[]> {
    return (await this.store.list()).map((d) => ({
      deviceId: d.id,
      deviceName: d.name,
      role: d.role ?? DEFAULT_DEVICE_ROLE,
      pairedAt: d.pairedAt,
      ...(d.lastSeenAt ? { lastSeenAt: d.lastSeenAt } : {}),
    }));
  }

  /** The role of a paired device; undefined once it is revoked (or never was). */
  async roleOf(deviceId: string): Promise<DeviceRole | undefined> {
    const device = await this.store.get(deviceId).catch(() => undefined);
    return device ? device.role ?? DEFAULT_DEVICE_ROLE : undefined;
  }

  /** @throws {GatewayError} NOT_FOUND for an unknown device */
  async setRole(deviceId: string, role: DeviceRole): Promise<void> {
    if (!(await this.store.setRole(deviceId, role))) {
      throw new GatewayError("NOT_FOUND", `Device not found: ${deviceId}`);
    }
  }

  /** @throws {GatewayError} NOT_FOUND for an unknown device */
  async revoke(deviceId: string): Promise<void> {
    if (!(await this.store.remove(deviceId))) {
      throw new GatewayError("NOT_FOUND", `Device not found: ${deviceId}`);
    }
    for (const listener of this.#revokedListeners) listener(deviceId);
  }

  #checkRate(address: string): void {
    const now = this.#now();
    this.#failures = this.#failures.filter((f) => now - f.at < PAIRING_LIMITS.windowMs);
    const mine = this.#failures.filter((f) => f.address === address);
    const blocking = mine.length >= PAIRING_LIMITS.perAddress
      ? mine
      : this.#failures.length >= PAIRING_LIMITS.total
      ? this.#failures
      : undefined;
    if (blocking) {
      const retryAfterMs = Math.max(0, blocking[0].at + PAIRING_LIMITS.windowMs - now);
      throw new GatewayError("RATE_LIMITED", "Too many failed pairing attempts; try again later", {
        retryAfterMs,
      });
    }
  }

  #expire(): void {
    const now = this.#now();
    for (const [code, pending] of this.#pending) {
      if (pending.expiresAt <= now) this.#pending.delete(code);
    }
  }
}

function randomCode(): string {
  // 256 is a multiple of 32, so taking each byte modulo 32 is unbiased.
  return Array.from(crypto.getRandomValues(new Uint8Array(CODE_LENGTH)), (b) => ALPHABET[b % 32])
    .join("");
}

/** Accepts codes as people type them: any case, with dashes or spaces, O for 0, I or L for 1. */
export function normalizeCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}
