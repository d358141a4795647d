/**
 * @module The SSRF policy for agent-driven browsing: which URLs a model may make the browser
 * load. Only http(s) (and about:blank) are allowed, and hosts whose addresses are loopback,
 * private, link-local or otherwise internal are refused unless the config allows them.
 */

/** `browser.ssrf` from the config. */
export interface SsrfPolicy {
  /** Allow hosts that resolve to internal addresses. */
  allowPrivateNetwork: boolean;
  /** Host names (or `*.example.com` patterns) exempt from the address check. */
  allowedHosts: string[];
}

/**
 * The outcome of a check. A refusal's `reason` names neither the URL nor its host: a redirect's
 * target or a link is the server's or the page's text, and refusals reach the model unwrapped, so
 * a caller names the URL itself when it is one the model or the user asked for.
 */
export type SsrfVerdict = { allowed: true } | { allowed: false; reason: string };

// Schemes a refusal may name: a fixed list, since any other is a server's or a page's own text.
const KNOWN_SCHEMES = new Set([
  "about:",
  "blob:",
  "chrome:",
  "chrome-extension:",
  "data:",
  "file:",
  "filesystem:",
  "ftp:",
  "javascript:",
  "mailto:",
  "tel:",
  "view-source:",
  "ws:",
  "wss:",
]);

/** Returns every address a host name resolves to. */
export type HostResolver = (host: string) => Promise<string[]>;

/** Resolves through the system resolver (so /etc/hosts counts, as it does for Chromium). */
export async function systemResolver(host: string): Promise<string[]> {
  // Loaded on first use: node's dns module is not free, and most gateways never browse.
  const { default: dns } = await import("node:dns");
  const found = await dns.promises.lookup(host, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
}

const V4_RANGES: [string, number, string][] = [
  ["0.0.0.0", 8, "unspecified"],
  ["10.0.0.0", 8, "private"],
  ["100.64.0.0", 10, "shared (CGNAT)"],
  ["127.0.0.0", 8, "loopback"],
  ["169.254.0.0", 16, "link-local"],
  ["172.16.0.0", 12, "private"],
  ["192.0.0.0", 24, "reserved"],
  ["192.168.0.0", 16, "private"],
  ["198.18.0.0", 15, "benchmarking"],
  ["224.0.0.0", 4, "multicast"],
  ["240.0.0.0", 4, "reserved"],
];

function v4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => (acc * 256) + Number(part), 0);
}

function classifyV4(ip: string): string | undefined {
  const value = v4ToInt(ip);
  for (const [base, bits, kind] of V4_RANGES) {
    const size = 2 ** (32 - bits);
    const start = v4ToInt(base);
    if (value >= start && value < start + size) return kind;
  }
  return undefined;
}

/** The eight 16-bit groups of an IPv6 address (with an embedded IPv4 tail expanded). */
function v6Groups(ip: string): number[] {
  let text = ip.toLowerCase().split("%")[0];
  const v4Tail = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4Tail) {
    const n = v4ToInt(v4Tail[1]);
    text = text.slice(0, -v4Tail[1].length) +
      `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const parse = (part: string | undefined) =>
    part ? part.split(":").map((g) => parseInt(g, 16)) : [];
  const front = parse(head);
  const back = parse(tail);
  const fill = tail === undefined ? [] : new Array(8 - front.length - back.length).fill(0);
  return [...front, ...fill, ...back];
}

function classifyV6(ip: string): string | undefined {
  const g = v6Groups(ip);
  if (g.every((x) => x === 0)) return "unspecified";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "loopback";
  const embeddedV4 = () => `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible and NAT64 (64:ff9b::/96) carry an IPv4 inside.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    return classifyV4(embeddedV4());
  }
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return classifyV4(embeddedV4());
  }
  if (g[0] === 0x2002) return classifyV4(`${g[1] >> 8}.${g[1] & 255}.${g[2] >> 8}.${g[2] & 255}`);
  if ((g[0] & 0xfe00) === 0xfc00) return "private (unique local)";
  if ((g[0] & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0] & 0xffc0) === 0xfec0) return "site-local";
  if ((g[0] & 0xff00) === 0xff00) return "multicast";
  return undefined;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** 4 or 6 for an IP address literal, 0 for anything else (a host name). */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (IPV4.test(text)) return 4;
  const bare = text.split("%")[0];
  if (!bare.includes(":") || !/^[0-9a-f:.]+$/i.test(bare)) return 0;
  try {
    // The URL parser validates IPv6 literals for us.
    new URL(`http://[${bare}]/`);
    return 6;
  } catch {
    return 0;
  }
}

/** What kind of internal address `ip` is, or undefined for a public one. */
export function classifyAddress(ip: string): string | undefined {
  const version = ipVersion(ip);
  if (version === 4) return classifyV4(ip);
  if (version === 6) return classifyV6(ip);
  return "unparseable";
}

/** True when `host` matches an `allowedHosts` entry (exact, or `*.suffix`). */
export function hostAllowed(host: string, allowedHosts: readonly string[]): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return allowedHosts.some((entry) => {
    const pattern = entry.trim().toLowerCase().replace(/\.$/, "");
    if (pattern.startsWith("*.")) return name.endsWith(pattern.slice(1));
    return pattern === name;
  });
}

/** Checks URLs against the policy; resolutions are cached briefly so a page's many requests
 * to one host cost one lookup. */
export class SsrfGuard {
  #policy: () => SsrfPolicy;
  #resolve: HostResolver;
  #cache = new Map<string, { at: number; addresses: Promise<string[]> }>();
  #settingKey: string;

  /** @param settingKey the config section named in refusals (`browser.ssrf`, `tools.web.ssrf`) */
  constructor(
    policy: () => SsrfPolicy,
    resolve: HostResolver = systemResolver,
    settingKey = "browser.ssrf",
  ) {
    this.#policy = policy;
    this.#resolve = resolve;
    this.#settingKey = settingKey;
  }

  /** Whether the agent may load `url`; never throws. */
  async check(url: string): Promise<SsrfVerdict> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { allowed: false, reason: "Not a valid URL" };
    }
    if (parsed.href === "about:blank") return { allowed: true };
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
      const scheme = KNOWN_SCHEMES.has(parsed.protocol) ? parsed.protocol : "another scheme";
      return { allowed: false, reason: `Only http and https URLs may be opened, not ${scheme}` };
    }
    const policy = this.#policy();
    const host = parsed.hostname.replace(/^\[|\]$/g, "");
    if (policy.allowPrivateNetwork || hostAllowed(host, policy.allowedHosts)) {
      return { allowed: true };
    }
    if (host === "localhost" || host.endsWith(".localhost")) {
      return {
        allowed: false,
        reason: `The host is a loopback host; add its name to ${this.#settingKey}.allowedHosts ` +
          "to allow it",
      };
    }
    let addresses: string[];
    try {
      addresses = ipVersion(host) ? [host] : await this.#lookup(host);
    } catch {
      return { allowed: false, reason: "Could not resolve the host to check it" };
    }
    if (addresses.length === 0) {
      return { allowed: false, reason: "The host has no addresses" };
    }
    for (const address of addresses) {
      const kind = classifyAddress(address);
      if (kind) {
        return {
          allowed: false,
          reason: `The host is a ${kind} address (${address}); internal addresses are blocked ` +
            `for agents unless ${this.#settingKey}.allowPrivateNetwork or ` +
            `${this.#settingKey}.allowedHosts ` +
            `allows them`,
        };
      }
    }
    return { allowed: true };
  }

  #lookup(host: string): Promise<string[]> {
    const now = Date.now();
    const cached = this.#cache.get(host);
    if (cached && now - cached.at < 10_000) return cached.addresses;
    if (this.#cache.size > 256) this.#cache.clear();
    const addresses = this.#resolve(host);
    this.#cache.set(host, { at: now, addresses });
    addresses.catch(() => this.#cache.delete(host));
    return addresses;
  }
}
