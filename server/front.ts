/**
 * @module The gateway's listeners opened before the rest of it has loaded (issue 17): `gateway
 * run` listens as soon as the config's bind, ports and auth mode are known, and loads the
 * runtime, the services and the request handler after. Until then `GET /health` answers
 * `{ status: "starting", uptime }` (the process is up and will serve), and every other request,
 * WebSocket upgrades included, waits for the full handler, which applies auth, origin checks and
 * limits to it as to any later request; nothing else is answered by this module.
 */

import type { Logger } from "../core/logger.ts";
import { type Listeners, openListeners } from "./listeners.ts";

/** The handler `Deno.serve` runs for both listeners. */
export type GatewayHandler = (
  request: Request,
  info: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Response | Promise<Response>;

/** Listeners whose handler comes later. */
export interface Front {
  readonly listeners: Listeners;
  /** When the front started listening (Date.now()), the gateway's start for `uptime`. */
  readonly startedAt: number;
  /**
   * How many requests (WebSocket upgrades included) the listeners have taken: the collections
   * at quiet moments wait for a pause in them (core/idle_gc.ts).
   */
  readonly requests: number;
  /** Hands every waiting and later request to `handler`. */
  serve(handler: GatewayHandler): void;
  /** The gateway will not serve: waiting and later requests get 503. */
  fail(): void;
}

/** Options for {@linkcode openFront}. */
export interface FrontOptions {
  hostname: string;
  port: number;
  httpPort: number | false | undefined;
  logger: Logger;
}

/**
 * Opens the listeners with a handler that answers `/health` and holds every other request until
 * {@linkcode Front.serve} or {@linkcode Front.fail}.
 *
 * @throws {Error} when the port (or a required HTTP port) is taken; nothing is left open
 */
export async function openFront(options: FrontOptions): Promise<Front> {
  let settle!: (handler: GatewayHandler | undefined) => void;
  const ready = new Promise<GatewayHandler | undefined>((resolve) => (settle = resolve));
  let failed = false;
  let startedAt = Date.now();
  const unavailable = () => new Response("The gateway is not running", { status: 503 });
  const waiting: GatewayHandler = async (request, info) => {
    if (failed) return unavailable();
    if (request.method === "GET" && new URL(request.url).pathname === "/health") {
      return new Response(
        JSON.stringify({ status: "starting", uptime: Date.now() - startedAt }),
        {
          headers: { "content-type": "application/json" },
        },
      );
    }
    const served = await ready;
    return served ? served(request, info) : unavailable();
  };
  // Once served, a request goes straight to the full handler and its answer straight back: the
  // listeners' handler reads this variable and adds no async layer (no promise, no await) of its
  // own to every request for the rest of the gateway's life.
  let current = waiting;
  let requests = 0;
  const listeners = await openListeners({
    ...options,
    handler: (request, info) => (requests++, current(request, info)),
  });
  startedAt = Date.now();
  return {
    listeners,
    startedAt,
    get requests() {
      return requests;
    },
    serve(next) {
      current = next;
      settle(next);
    },
    fail() {
      failed = true;
      settle(undefined);
    },
  };
}
