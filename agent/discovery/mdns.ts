/**
 * @module mDNS/DNS-SD for gateways (`_pyclaw._tcp`), through the `bonjour-service` npm package,
 * loaded only when discovery is turned on (`gateway.discovery.mdns`, off by default: announcing
 * a gateway on the network is the user's choice).
 */

import type { DiscoveredGateway } from "./probe.ts";

/** The DNS-SD service type: `_pyclaw._tcp.local`. */
export const SERVICE_TYPE = "pyclaw";

/** What a gateway announces. */
export interface GatewayAnnouncement {
  /** Instance name, e.g. `pyclaw on laptop`. */
  name: string;
  port: number;
  txt: Record<string, string>;
}

/** A running announcement. */
export interface Announcer {
  /**
   * Resolves once the announcement went out: before that the name is still being probed for
   * (three queries, about a second), and a query for gateways gets no answer from this one.
   */
  announced: Promise<void>;
  stop(): Promise<void>;
}

type BonjourModule = typeof import("bonjour-service");

async function loadBonjour(): Promise<BonjourModule["Bonjour"]> {
  const module = await import("bonjour-service") as BonjourModule & { default?: BonjourModule };
  return module.Bonjour ?? module.default!.Bonjour;
}

/** Starts answering mDNS queries for this gateway until `stop`. */
export async function announceGateway(
  announcement: GatewayAnnouncement,
  onError: (error: Error) => void,
): Promise<Announcer> {
  const Bonjour = await loadBonjour();
  const bonjour = new Bonjour({}, (error: Error) => onError(error));
  const service = bonjour.publish({
    name: announcement.name,
    type: SERVICE_TYPE,
    port: announcement.port,
    txt: announcement.txt,
  });
  service.on("error", (error: Error) => onError(error));
  const announced = new Promise<void>((resolve) => service.once("up", () => resolve()));
  return {
    announced,
    stop: () =>
      new Promise<void>((resolve) => {
        bonjour.unpublishAll(() => {
          bonjour.destroy();
          resolve();
        });
      }),
  };
}

/** Listens for `_pyclaw._tcp` announcements for `timeoutMs` and returns what answered. */
export async function browseGateways(timeoutMs: number): Promise<DiscoveredGateway[]> {
  const Bonjour = await loadBonjour();
  const bonjour = new Bonjour({}, () => {});
  const found = new Map<string, DiscoveredGateway>();
  const browser = bonjour.find({ type: SERVICE_TYPE }, (service) => {
    const host = service.addresses?.find((a) => !a.includes(":")) ?? service.referer?.address ??
      service.host;
    if (!host) return;
    const txt = (service.txt ?? {}) as Record<string, string>;
    const url = `ws://${host.includes(":") ? `[${host}]` : host}:${service.port}`;
    found.set(url, {
      url,
      host,
      port: service.port,
      source: "mdns",
      name: service.name,
      ...(txt.version ? { version: txt.version } : {}),
    });
  });
  await new Promise((resolve) => setTimeout(resolve, timeoutMs));
  browser.stop();
  bonjour.destroy();
  return [...found.values()];
}
