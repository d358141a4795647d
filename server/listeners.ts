/**
 * @module The gateway's listening sockets: the WebSocket port, and a second port for the HTTP
 * API (by default the next one) served by the same handler, so auth, origin checks and limits
 * apply alike on both.
 */

import type { Logger } from "../core/logger.ts";

/** Options for {@linkcode openListeners}. */
export interface ListenOptions {
  hostname: string;
  /** 0 picks a free port. */
  port: number;
  /**
   * The HTTP port: a number to require it, `false` for none, `undefined` for the next port when
   * it is free (an ephemeral one when `port` is 0), else none with a warning.
   */
  httpPort: number | false | undefined;
  handler: (
    request: Request,
    info: Deno.ServeHandlerInfo<Deno.NetAddr>,
  ) => Response | Promise<Response>;
  logger: Logger;
}

/** Open listeners. */
export interface Listeners {
  readonly port: number;
  readonly httpPort: number | undefined;
  /** Stops accepting and waits for open requests, at most `deadlineMs`. */
  shutdown(deadlineMs: number): Promise<void>;
}

/**
 * Opens the listeners.
 *
 * @throws {Error} when the port (or a required HTTP port) is taken; nothing is left open
 */
export async function openListeners(options: ListenOptions): Promise<Listeners> {
  const { hostname, logger } = options;
  const onError = (error: unknown) => {
    logger.error("request failed", { error });
    return new Response("Internal server error", { status: 500 });
  };
  const serve = (port: number) =>
    Deno.serve({
      hostname,
      port,
      onListen: () => {},
      onError,
      handler: options.handler as Deno.ServeHandler,
    });
  const wsServer = serve(options.port);
  const port = wsServer.addr.port;
  let httpServer: Deno.HttpServer<Deno.NetAddr> | undefined;
  // With an ephemeral WebSocket port (tests), the HTTP port is ephemeral too.
  const wanted = options.httpPort === false
    ? undefined
    : options.httpPort ?? (options.port === 0 ? 0 : port + 1);
  if (wanted !== undefined) {
    try {
      httpServer = serve(wanted);
    } catch (error) {
      if (options.httpPort !== undefined) {
        await wsServer.shutdown();
        throw error;
      }
      logger.warn(
        `HTTP port ${wanted} is unavailable; the HTTP API is served on port ${port} only`,
        { error: (error as Error).message },
      );
    }
  }
  return {
    port,
    httpPort: httpServer?.addr.port,
    async shutdown(deadlineMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise((resolve) => (timer = setTimeout(resolve, deadlineMs)));
      await Promise.race([Promise.all([wsServer.shutdown(), httpServer?.shutdown()]), deadline]);
      clearTimeout(timer);
    },
  };
}
