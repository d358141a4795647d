/**
 * @module The gateway's auth token on disk: generated on first loopback start when none is
 * configured, read by the local CLI so it can connect without being told the token.
 */

import { readTextIfExists, writeFileAtomic } from "./fs.ts";

/** Reads the token file, if there is one. */
export async function readTokenFile(file: string): Promise<string | undefined> {
  const text = await readTextIfExists(file);
  const token = text?.trim();
  return token ? token : undefined;
}

/** A token file that group or others could read, as {@linkcode tightenTokenFile} found it. */
export interface LooseTokenFile {
  /** Its permission bits as found (the link target's, for a symbolic link). */
  mode: number;
  /** Made owner-only; false for a symbolic link, whose target is left as it is. */
  tightened: boolean;
  /** Where a symbolic link leads. */
  target?: string;
}

/**
 * Makes the token file readable by its owner alone when group or others could read it (a file
 * copied in, or written under a loose umask), as the gateway does whenever it loads the file
 * (at start and on every reload): the friendlier course than ssh's refusal, and the gateway
 * logs it. A symbolic link is not followed to change its target's mode (a file elsewhere the
 * user chose, perhaps shared on purpose): it is reported, with where it leads, for the caller
 * to warn about. Skipped on Windows (no modes).
 *
 * @returns what was found loose, and whether it was tightened; undefined when nothing was
 */
export async function tightenTokenFile(file: string): Promise<LooseTokenFile | undefined> {
  if (Deno.build.os === "windows") return undefined;
  try {
    const entry = await Deno.lstat(file);
    if (entry.isSymlink) {
      const mode = (await Deno.stat(file)).mode;
      if (mode === null || (mode & 0o077) === 0) return undefined;
      return { mode: mode & 0o777, tightened: false, target: await Deno.realPath(file) };
    }
    const mode = entry.mode;
    if (mode === null || (mode & 0o077) === 0) return undefined;
    await Deno.chmod(file, mode & 0o700);
    return { mode: mode & 0o777, tightened: true };
  } catch {
    return undefined; // gone, or not ours to change: reading it is what matters
  }
}

/** A new random token: 32 bytes, base64url. */
export function generateToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** Writes `token` to `file`, readable by the owner alone. */
export async function writeTokenFile(file: string, token: string): Promise<void> {
  await writeFileAtomic(file, token + "\n", { mode: 0o600 });
  await Deno.chmod(file, 0o600).catch(() => {}); // not supported on Windows
}

/** True for a bind setting or host that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  return h === "loopback" || h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h);
}

/** The address to listen on for a `gateway.bind` value. */
export function bindAddress(bind: string): string {
  const b = bind.trim().toLowerCase();
  if (b === "loopback" || b === "localhost") return "127.0.0.1";
  if (b === "lan" || b === "all") return "0.0.0.0";
  return bind.trim().replace(/^\[|\]$/g, "");
}

/**
 * True for a `gateway.bind` / `--bind` value the gateway can listen on: `loopback`,
 * `localhost`, `lan`, `all`, or an IPv4 or IPv6 address. Host names are not taken, since a name
 * that resolves elsewhere would expose the gateway where the user did not mean it.
 */
export function isValidBind(bind: string): boolean {
  const b = bind.trim().toLowerCase();
  if (["loopback", "localhost", "lan", "all"].includes(b)) return true;
  if (/^(\d{1,3})(\.\d{1,3}){3}$/.test(b)) return b.split(".").every((part) => Number(part) < 256);
  const v6 = b.replace(/^\[|\]$/g, "");
  if (!v6.includes(":")) return false;
  try {
    return new URL(`http://[${v6}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

/** What {@linkcode authRefusal} weighs: the auth settings, with whether each secret is set. */
export interface AuthSetting {
  mode: "token" | "password" | "none";
  tokenSet: boolean;
  passwordSet: boolean;
}

/** A setting the gateway refuses to start on: the config key to change, and why. */
export interface AuthProblem {
  /** `gateway.auth.mode`, `gateway.auth.password` or `gateway.auth.token`. */
  path: string;
  message: string;
}

/**
 * Why the gateway must not start with these credentials on `bindHost`, with the key to change,
 * or undefined when it may. The one rule: `gateway run` asks before it listens, the auth
 * resolution when it resolves, and config validation (`config validate`, `config.set` /
 * `config.patch`, setup) before a config that would be refused is accepted. The token file
 * counts on loopback only: it is generated there, and a bind others can reach needs a token the
 * user chose and can hand out.
 */
export function authProblem(
  auth: AuthSetting,
  sources: { flagToken?: string; env: Record<string, string | undefined>; bindHost: string },
): AuthProblem | undefined {
  const { flagToken, env, bindHost } = sources;
  const loopback = isLoopbackHost(bindHost);
  if (auth.mode === "none") {
    return loopback ? undefined : {
      path: "gateway.auth.mode",
      message: `Refusing to start: gateway.auth.mode "none" is allowed only ` +
        `on a loopback bind (bind is ${bindHost})`,
    };
  }
  if (auth.mode === "password") {
    return env.PYCLAW_AUTH_PASSWORD || auth.passwordSet ? undefined : {
      path: "gateway.auth.password",
      message: "Refusing to start: " +
        'gateway.auth.mode is "password" but no password is set ' +
        "(set gateway.auth.password or PYCLAW_AUTH_PASSWORD)",
    };
  }
  if (flagToken || env.PYCLAW_AUTH_TOKEN || auth.tokenSet || loopback) return undefined;
  return {
    path: "gateway.auth.token",
    message: `Refusing to bind ${bindHost} without an explicit auth token: pass --auth-token, ` +
      "set PYCLAW_AUTH_TOKEN, or set gateway.auth.token in the config (e.g. " +
      '"${PYCLAW_AUTH_TOKEN}"), so nobody on the network can use your gateway',
  };
}

/**
 * Why the gateway must not start with these credentials on `bindHost`, or undefined when it
 * may (the message of {@linkcode authProblem}).
 */
export function authRefusal(
  auth: AuthSetting,
  sources: { flagToken?: string; env: Record<string, string | undefined>; bindHost: string },
): string | undefined {
  return authProblem(auth, sources)?.message;
}
