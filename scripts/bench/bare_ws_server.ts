/**
 * @module The floor for scripts/bench/gateway.ts: a bare Deno.serve WebSocket server that answers
 * every request frame with an empty success, and prints one ready line like the gateway.
 */

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.args[0] ?? 0),
  onListen: () => {},
}, (request) => {
  if (request.headers.get("upgrade") !== "websocket") return new Response("ok");
  const { socket, response } = Deno.upgradeWebSocket(request);
  socket.onmessage = (event) => {
    const frame = JSON.parse(event.data);
    socket.send(JSON.stringify({ type: "res", id: frame.id, ok: true, payload: { status: "ok" } }));
  };
  return response;
});
console.log(`bare server ready: ws://127.0.0.1:${server.addr.port}`);
