/**
 * @module The floor for `/v1` added time (scripts/bench/compare.ts `floor`): a bare Deno.serve
 * proxy in front of the stand-in upstream that does what any OpenAI proxy must and nothing else
 * (read the JSON body, fetch the upstream with it, send back the JSON or pass the stream through
 * untouched). pyclaw's added time over the upstream, less this one's in the same run, is what its
 * own work costs. Prints one ready line.
 *
 * Usage: deno run -A scripts/bench/bare_proxy.ts UPSTREAM_BASE_URL [port]
 */

const upstream = Deno.args[0];
const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.args[1] ?? 0),
  onListen: () => {},
}, async (request) => {
  if (request.method === "GET") return new Response("ok"); // the readiness probe
  const body = await request.json();
  const response = await fetch(`${upstream}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (body.stream) {
    return new Response(response.body, { headers: { "content-type": "text/event-stream" } });
  }
  return Response.json(await response.json());
});
console.log(`bare proxy ready: http://127.0.0.1:${server.addr.port}`);
