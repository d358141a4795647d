/**
 * @module Who may connect: the gateway's credentials (with their precedence), constant-time
 * comparison, and the per-address limit on failed attempts.
 */

import { textEqual } from "../core/bytes.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import { GatewayError } from "../core/errors.ts";
import type { Config } from "../core/config/schema.ts";
import {
  authRefusal,
  generateToken,
  type LooseTokenFile,
  readTokenFile,
  tightenTokenFile,
  writeTokenFile,
} from "../core/gateway_token.ts";

/** How the gateway authenticates clients, and where the secret came from. */
export type GatewayAuth =
  | {
    mode: "token";
    token: string;
    source: "flag" | "env" | "config" | "file" | "generated";
    file?: string;
    /** The token file was readable by group or others: made owner-only, or left (a link). */
    looseFile?: LooseTokenFile;
  }
  | { mode: "password"; password: string; source: "config" | "env" }
  | { mode: "none" };

/** Inputs to {@linkcode resolveGatewayAuth}. */
export interface AuthSources {
  flagToken?: string;
  env: Record<string, string | undefined>;
  config: Config;
  tokenFile: string;
  bindHost: string;
}

/**
 * Picks the gateway's credentials: `--auth-token`, then `PYCLAW_AUTH_TOKEN`, then config,
 * then the token file; on a loopback bind with none of these, generates the file.
 *
 * @throws {Error} for a non-loopback bind without an explicit token or password, and for
 * `auth.mode: "none"` off loopback
 */
export async function resolveGatewayAuth(sources: AuthSources): Promise<GatewayAuth> {
  const { flagToken, env, config, tokenFile } = sources;
  const auth = config.gateway.auth;
  const refusal = authRefusal(
    { mode: auth.mode, tokenSet: Boolean(auth.token), passwordSet: Boolean(auth.password) },
    sources,
  );
  if (refusal) throw new Error(refusal);
  if (auth.mode === "none") return { mode: "none" };
  if (auth.mode === "password") {
    const password = env.PYCLAW_AUTH_PASSWORD || auth.password!;
    return { mode: "password", password, source: env.PYCLAW_AUTH_PASSWORD ? "env" : "config" };
  }
  if (flagToken) return { mode: "token", token: flagToken, source: "flag" };
  if (env.PYCLAW_AUTH_TOKEN) return { mode: "token", token: env.PYCLAW_AUTH_TOKEN, source: "env" };
  if (auth.token) return { mode: "token", token: auth.token, source: "config" };
  const existing = await readTokenFile(tokenFile);
  if (existing) {
    const looseFile = await tightenTokenFile(tokenFile);
    return {
      mode: "token",
      token: existing,
      source: "file",
      file: tokenFile,
      ...(looseFile === undefined ? {} : { looseFile }),
    };
  }
  const token = generateToken();
  await writeTokenFile(tokenFile, token);
  return { mode: "token", token, source: "generated", file: tokenFile };
}

/** Compares two secrets in time that depends only on their lengths' maximum. */
export function secretsEqual(given: string, expected: string): boolean {
  // textEqual walks the longer length whatever the difference, so the content does not leak;
  // the expected secret's length can (the time grows with it), which for generated tokens of a
  // fixed length tells nothing.
  return textEqual(given, expected);
}

/**
 * Extra credentials accepted besides the gateway's own (paired device tokens): the id of whoever
 * holds `token`, or undefined.
 */
export type CredentialCheck = (token: string) => string | undefined | Promise<string | undefined>;

/** Counts failed `connect` attempts per address in a sliding one-minute window. */
export class AuthFailureLimiter {
  #failures = new Map<string, number[]>();
  #limit: () => number;
  #clock: Clock;

  /** @param clock where the window's minute passes (tests pass a manual clock) */
  constructor(limitPerMinute: () => number, clock: Clock = systemClock) {
    this.#limit = limitPerMinute;
    this.#clock = clock;
  }

  /** Whether `address` has a failure on record (kept up to a minute): only then can it be refused. */
  hasFailed(address: string): boolean {
    return this.#failures.has(address);
  }

  /** @throws {GatewayError} RATE_LIMITED when `address` has failed too often */
  check(address: string, now = this.#clock.now()): void {
    const recent = this.#recent(address, now);
    if (recent.length >= this.#limit()) {
      const retryAfterMs = Math.max(0, recent[0] + 60_000 - now);
      throw new GatewayError(
        "RATE_LIMITED",
        "Too many failed authentication attempts; try again later",
        {
          retryAfterMs,
        },
      );
    }
  }

  fail(address: string, now = this.#clock.now()): void {
    const recent = this.#recent(address, now);
    recent.push(now);
    this.#failures.set(address, recent);
    if (this.#failures.size > 10_000) this.#prune(now);
  }

  #recent(address: string, now: number): number[] {
    return (this.#failures.get(address) ?? []).filter((t) => now - t < 60_000);
  }

  #prune(now: number) {
    for (const [address, times] of this.#failures) {
      if (times.every((t) => now - t >= 60_000)) this.#failures.delete(address);
    }
  }
}

/** What let a client in: the gateway's own secret, a paired device's token, or no auth. */
export type CredentialKind = "gateway" | "device" | "none";

/** The credential a client proved, and for a device, which one. */
export interface Credential {
  kind: CredentialKind;
  deviceId?: string;
}

/**
 * Whether `secret` is the gateway's own (or auth is off): the check every HTTP request with the
 * right Bearer makes, answered without a promise. Anything else (a paired device's token, a wrong
 * one) goes to {@linkcode verifyCredentials}.
 */
export function isGatewaySecret(auth: GatewayAuth, secret: string | undefined): boolean {
  if (auth.mode === "none") return true;
  if (!secret) return false;
  return secretsEqual(secret, auth.mode === "password" ? auth.password : auth.token);
}

/**
 * Checks `connect`'s credentials against the gateway's.
 *
 * @returns which credential matched
 * @throws {GatewayError} AUTH_REQUIRED when they do not match
 */
export async function verifyCredentials(
  auth: GatewayAuth,
  given: { token?: string; password?: string } | undefined,
  extra?: CredentialCheck,
): Promise<Credential> {
  if (auth.mode === "none") return { kind: "none" };
  if (auth.mode === "password") {
    if (given?.password && secretsEqual(given.password, auth.password)) return { kind: "gateway" };
    throw new GatewayError(
      "AUTH_REQUIRED",
      given?.password ? "Invalid password" : "Password required",
    );
  }
  if (given?.token && secretsEqual(given.token, auth.token)) return { kind: "gateway" };
  const deviceId = given?.token && extra ? await extra(given.token) : undefined;
  if (deviceId) return { kind: "device", deviceId };
  throw new GatewayError("AUTH_REQUIRED", given?.token ? "Invalid token" : "Auth token required");
}
