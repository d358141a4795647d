/**
 * @module Who a request comes from: the peer address, or behind a trusted reverse proxy the client
 * named in `X-Forwarded-For`; and whether that client is local, so per-address limits and the
 * failed-auth lockout spare it (one misconfigured local script must not lock out the CLI and UI).
 */

import { isLoopbackHost } from "../core/gateway_token.ts";

/** The client a request is counted against. */
export interface ClientAddress {
  /** The real client's address (the peer's, unless a trusted proxy forwarded the request). */
  address: string;
  /**
   * A local client that per-address limits and the auth lockout spare: a loopback peer that is
   * not relaying anyone (no forwarding header), or a loopback client named by a trusted proxy.
   */
  local: boolean;
}

let proxyaddr: typeof import("proxy-addr") | undefined;
let loading: Promise<void> | undefined;

/**
 * Loads proxy-addr, needed only with `gateway.trustedProxies` set. It is CommonJS, whose loader
 * cost every gateway ~100 ms of start-up when imported statically (issue 17), so the gateway
 * awaits this before listening when its config names proxies, and a reload kicks it off.
 */
export function loadProxyAddr(): Promise<void> {
  loading ??= import("proxy-addr").then((module) => {
    proxyaddr = module.default;
  });
  return loading;
}

/** Resolves client addresses for one `gateway.trustedProxies` list (compiled once per list). */
export class ClientAddressResolver {
  #list: readonly string[] = [];
  #trust: (address: string, index: number) => boolean = () => false;

  /**
   * @param trustedProxies proxy addresses or CIDR ranges, as `gateway.trustedProxies`
   * @param exemptLoopback whether local clients are spared (`gateway.limits.exemptLoopback`)
   */
  resolve(
    request: Request,
    peer: string,
    trustedProxies: readonly string[],
    exemptLoopback: boolean,
  ): ClientAddress {
    if (trustedProxies !== this.#list) {
      if (trustedProxies.length === 0) {
        this.#list = trustedProxies;
        this.#trust = () => false;
      } else if (proxyaddr) {
        this.#list = trustedProxies;
        try {
          this.#trust = proxyaddr.compile([...trustedProxies]);
        } catch {
          this.#trust = () => false; // the config check refuses such a list; trust nobody
        }
      } else {
        // Set by a config reload: until the library has loaded no proxy is trusted, which
        // only errs towards limiting (the proxy counts as the client, never as local).
        void loadProxyAddr();
      }
    }
    // Without a trusted proxy the peer is the client: its forwarding headers are not read.
    const forwardedFor = trustedProxies.length && proxyaddr
      ? request.headers.get("x-forwarded-for")
      : null;
    const address = forwardedFor === null || !proxyaddr ? peer : proxyaddr({
      socket: { remoteAddress: peer },
      headers: { "x-forwarded-for": forwardedFor },
    } as never, this.#trust);
    if (!exemptLoopback || !isLoopbackAddress(address)) return new Client(address, false);
    // A loopback client named by a trusted proxy is local; a loopback peer only if it relays
    // nobody, which its headers say when the exemption is first asked about.
    return new Client(address, address === peer ? request : true);
  }
}

/**
 * A resolved client. Whether a loopback peer relays anyone is read from its request's headers
 * when first asked: an HTTP request with an address that never failed auth does not ask, and
 * each header read cost a `/v1` request a call into Deno (issue 17).
 */
class Client implements ClientAddress {
  readonly address: string;
  #local: boolean | undefined;
  #request: Request | undefined;

  constructor(address: string, local: boolean | Request) {
    this.address = address;
    if (typeof local === "boolean") this.#local = local;
    else this.#request = local;
  }

  get local(): boolean {
    if (this.#local === undefined) {
      // A loopback peer that forwards for someone else, without being trusted, is a local
      // reverse proxy relaying unknown (maybe remote) clients: it gets no local exemption.
      // `get`, not `has`: Deno answers `get` from the request's own header map, while `has`
      // copies every header into JavaScript arrays, which the upgraded request of a WebSocket
      // then keeps for the connection's life (~1.1 KB a connection, connection_heap.ts).
      const headers = this.#request!.headers;
      this.#local = headers.get("x-forwarded-for") === null && headers.get("forwarded") === null;
      this.#request = undefined;
    }
    return this.#local;
  }
}

/** Whether `address` is a loopback address, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) included. */
export function isLoopbackAddress(address: string): boolean {
  if (address === "127.0.0.1" || address === "::1") return true; // nearly every request's peer
  return isLoopbackHost(address.replace(/^::ffff:/i, ""));
}
