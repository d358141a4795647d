/**
 * @module The bounded probe behind `gateway discover`: asks a short, explicit list of
 * `host:port` candidates for the gateway's `/health`. By default the list is loopback only (the
 * configured port and 18789-18799); other hosts are probed only when the user names them.
 */

/** A gateway that answered. */
export interface DiscoveredGateway {
  url: string;
  host: string;
  port: number;
  source: "probe" | "mdns";
  name?: string;
  version?: string;
  uptimeMs?: number;
  latencyMs?: number;
}

/** One place to look. */
export interface Candidate {
  host: string;
  port: number;
}

/** The ports every host is probed on besides the configured one. */
export const DEFAULT_PORTS = Array.from({ length: 11 }, (_, i) => 18789 + i);
/** At most this many candidates are probed in one run, whatever the flags ask for. */
export const MAX_CANDIDATES = 256;

/**
 * Candidates: `127.0.0.1` and each of `hosts`, on `port` and the default range. A host given
 * as `host:port` is probed on that port only.
 */
export function discoveryCandidates(port: number, hosts: string[] = []): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  const add = (host: string, p: number) => {
    const key = `${host}:${p}`;
    if (seen.has(key) || out.length >= MAX_CANDIDATES) return;
    seen.add(key);
    out.push({ host, port: p });
  };
  const ports = [port, ...DEFAULT_PORTS];
  for (const raw of ["127.0.0.1", ...hosts]) {
    const { host, port: explicit } = parseHost(raw.trim());
    if (explicit) add(host, explicit);
    else for (const p of ports) add(host, p);
  }
  return out;
}

/** Reads `host`, `host:port`, `[v6]` or `[v6]:port`; a bare IPv6 address has no port. */
export function parseHost(raw: string): { host: string; port?: number } {
  const bracketed = raw.match(/^\[([^\]]+)\](?::(\d{1,5}))?$/);
  const plain = raw.match(/^([^:]+):(\d{1,5})$/);
  const [host, port] = bracketed
    ? [bracketed[1], bracketed[2]]
    : plain
    ? [plain[1], plain[2]]
    : [raw, undefined];
  const n = Number(port);
  return port && n >= 1 && n <= 65535 ? { host, port: n } : { host };
}

/** Probes every candidate at once, each within `timeoutMs`; returns the ones that answered. */
export async function probeCandidates(
  candidates: Candidate[],
  timeoutMs: number,
): Promise<DiscoveredGateway[]> {
  const results = await Promise.all(
    candidates.slice(0, MAX_CANDIDATES).map(async (c) => {
      const host = c.host.includes(":") ? `[${c.host}]` : c.host;
      const started = performance.now();
      try {
        const response = await fetch(`http://${host}:${c.port}/health`, {
          signal: AbortSignal.timeout(timeoutMs),
        });
        const body = await response.json().catch(() => undefined) as
          | { status?: unknown; uptime?: unknown }
          | undefined;
        // A gateway's /health is `{ status: "ok", uptime }` (`"starting"` while it loads, see
        // server/front.ts); anything else is some other server.
        const status = body?.status;
        if (!response.ok || (status !== "ok" && status !== "starting")) return;
        if (typeof body?.uptime !== "number") return;
        const gateway: DiscoveredGateway = {
          url: `ws://${host}:${c.port}`,
          host: c.host,
          port: c.port,
          source: "probe",
          uptimeMs: body.uptime,
          latencyMs: Math.round((performance.now() - started) * 10) / 10,
        };
        return gateway;
      } catch {
        return undefined;
      }
    }),
  );
  return results.filter((r): r is DiscoveredGateway => r !== undefined);
}
