/** @module The WebSocket transport over Deno's server sockets, whose upgrade may fail or lag. */

import { assertEquals } from "../../_helpers/assert.ts";
import { webSocketTransport } from "../../../core/protocol/transport.ts";

Deno.test("a server socket closed before its upgrade completed is closed once it opens", async () => {
  const serverGotMessage = Promise.withResolvers<"message">();
  await using server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.addEventListener("message", () => serverGotMessage.resolve("message"));
    // Closed while the socket is still connecting (as the `connect` deadline may find it).
    webSocketTransport(socket).close(1008, "closed early");
    return response;
  });
  const client = new WebSocket(`ws://127.0.0.1:${server.addr.port}/`);
  const clientClosed = Promise.withResolvers<CloseEvent>();
  client.onopen = () => client.send("still there?");
  client.onclose = (event) => clientClosed.resolve(event);
  // Without the second close, Deno opens the socket all the same and it takes the message.
  const first = await Promise.race([clientClosed.promise, serverGotMessage.promise]);
  assertEquals(first === "message" ? first : [first.code, first.reason], [1008, "closed early"]);
});

Deno.test("an error on the socket closes the transport, once", () => {
  // A server socket whose upgrade fails after the handler answered gets `error` and nothing more.
  const socket = Object.assign(new EventTarget(), {
    readyState: 0,
    bufferedAmount: 0,
    close() {},
    send() {},
  });
  const transport = webSocketTransport(socket as unknown as WebSocket);
  const closes: [number, string][] = [];
  transport.onclose = (code, reason) => closes.push([code, reason]);
  socket.dispatchEvent(new ErrorEvent("error", { message: "Unexpected EOF" }));
  assertEquals(closes, [[1006, "Unexpected EOF"]]);
  // Where `close` follows (any other error), the transport has closed already.
  socket.dispatchEvent(new CloseEvent("close", { code: 1006 }));
  assertEquals(closes, [[1006, "Unexpected EOF"]]);
});
