/** @module Which browser origins may use the gateway (cross-site WebSocket hijacking, DNS rebinding). */

/** What an origin is checked against. */
export interface OriginPolicy {
  /** `gateway.auth.allowedOrigins`; `"*"` allows any. */
  allowed: readonly string[];
  /** The ports the gateway listens on. */
  ports: readonly number[];
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];
const IP_HOST = /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\]):\d+$/i;

/**
 * True when a request carrying `origin` comes from a page the gateway itself served, or from an
 * origin allowed in config. `host` is the request's Host header.
 */
export function isOwnOrigin(origin: string, host: string | null, policy: OriginPolicy): boolean {
  if (policy.allowed.includes("*") || policy.allowed.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  const originHost = url.host.toLowerCase();
  if (LOOPBACK_NAMES.some((name) => policy.ports.some((p) => originHost === `${name}:${p}`))) {
    return true;
  }
  // A page served by this gateway under the address the browser used. Only IP literals count:
  // a DNS name could be rebound to this machine by a hostile site.
  return host !== null && IP_HOST.test(host) && host.toLowerCase() === originHost;
}
