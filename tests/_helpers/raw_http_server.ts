/**
 * @module A raw HTTP/1.1 server for tests of the kept-connection provider client
 * (agent/providers/_http1.ts): every byte on the wire is what the client wrote and what the
 * test answers, so framing, pipelining, dropped and cut answers can be staged exactly.
 */

/** A request as the server read it. */
export interface RawRequest {
  /** Which connection it came on, from 1. */
  connection: number;
  /** Which request of that connection it is, from 1. */
  request: number;
  method: string;
  path: string;
  /** Names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/**
 * The answer's bytes; false closes the connection unanswered; `cut` sends bytes, then closes;
 * `stream` sends each piece as it comes, so a test can hold the answer between pieces (the
 * pieces frame the answer themselves, and the connection stays open for the next request).
 */
export type RawReply =
  | string
  | Uint8Array
  | false
  | { cut: string }
  | { stream: AsyncIterable<string | Uint8Array> };

/** A complete JSON answer of `body`, with `extra` header lines (each ending in CRLF). */
export const okJson = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${
    new TextEncoder().encode(body).length
  }\r\n${extra}\r\n${body}`;

/**
 * Listens on `hostname`, answering each request with `respond`. A connection is closed after
 * an answer that says `connection: close` or whose body runs to the connection's end (no
 * length and not chunked, except 204 and 304, which have none).
 */
export function rawHttpServer(
  respond: (request: RawRequest) => RawReply | Promise<RawReply>,
  hostname = "127.0.0.1",
) {
  const listener = Deno.listen({ hostname, port: 0 });
  const seen: RawRequest[] = [];
  let connections = 0;
  let closed = 0;
  const serve = async (conn: Deno.Conn, connection: number) => {
    const buffer = new Uint8Array(64 * 1024);
    let text = "";
    let served = 0;
    try {
      for (;;) {
        const count = await conn.read(buffer);
        if (count === null) return;
        text += new TextDecoder().decode(buffer.subarray(0, count));
        for (;;) {
          const end = text.indexOf("\r\n\r\n");
          if (end < 0) break;
          const [start, ...lines] = text.slice(0, end).split("\r\n");
          const headers: Record<string, string> = {};
          for (const line of lines) {
            const colon = line.indexOf(":");
            headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
          }
          const length = Number(headers["content-length"] ?? 0);
          if (text.length < end + 4 + length) break;
          const [method, path] = start.split(" ");
          const body = text.slice(end + 4, end + 4 + length);
          text = text.slice(end + 4 + length);
          const request = { connection, request: ++served, method, path, headers, body };
          seen.push(request);
          const reply = await respond(request);
          if (reply === false) return;
          if (typeof reply === "object" && "cut" in reply) {
            await conn.write(new TextEncoder().encode(reply.cut));
            return;
          }
          if (typeof reply === "object" && "stream" in reply) {
            for await (const piece of reply.stream) {
              const bytes = typeof piece === "string" ? new TextEncoder().encode(piece) : piece;
              for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
            }
            continue;
          }
          const bytes = typeof reply === "string" ? new TextEncoder().encode(reply) : reply;
          await conn.write(bytes);
          if (endsConnection(bytes)) return;
        }
      }
    } catch {
      /* the client went away */
    } finally {
      closed++;
      try {
        conn.close();
      } catch { /* closed */ }
    }
  };
  (async () => {
    try {
      for await (const conn of listener) serve(conn, ++connections);
    } catch { /* closed */ }
  })();
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    port,
    /** The server's origin, `http://host:port`. */
    url: `http://${hostname}:${port}`,
    seen,
    get connections() {
      return connections;
    },
    /** Connections that have ended (the client closed them, or the server dropped them). */
    get closed() {
      return closed;
    },
    [Symbol.dispose]: () => listener.close(),
  };
}

function endsConnection(answer: Uint8Array): boolean {
  const head = new TextDecoder().decode(answer.subarray(0, 4096)).split("\r\n\r\n")[0];
  if (/^connection:\s*close/im.test(head)) return true;
  return !/^HTTP\/1\.[01] (204|304)/.test(head) &&
    !/^(content-length|transfer-encoding):/im.test(head);
}
