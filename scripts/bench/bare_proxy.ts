/**
 * @module The floor for `/v1` added time (scripts/bench/compare.ts `floor`): a bare Deno.serve
 * proxy in front of the stand-in upstream that does what any OpenAI proxy must and nothing else
 * (read the JSON body, send it upstream, send back the JSON or pass the stream through
 * untouched). pyclaw's added time over the upstream, less this one's in the same run, is what its
 * own work costs. Prints one ready line.
 *
 * It reaches the upstream as the fastest proxy found in Deno does (issue 17): over kept HTTP/1.1
 * connections (agent/providers/_http1.ts, the client pyclaw's providers use for plain-http
 * upstreams), which added 0.1-0.25 ms less than `fetch` in the same runs. `--fetch` (compare.ts
 * `floor-fetch`) is the earlier floor: Deno's `fetch`, its stream body handed to Deno.serve.
 *
 * Usage: deno run -A scripts/bench/bare_proxy.ts UPSTREAM_BASE_URL [port] [--fetch]
 */

import { http1Request } from "../../agent/providers/_http1.ts";

const upstream = Deno.args[0];
const viaFetch = Deno.args.includes("--fetch");
const url = new URL(`${upstream}/chat/completions`);
const headers: [string, string][] = [["content-type", "application/json"]];

/** The upstream's answer, through fetch. */
async function fetched(body: string, stream: boolean): Promise<Response> {
  const response = await fetch(url, { method: "POST", headers, body });
  if (stream) {
    return new Response(response.body, { headers: { "content-type": "text/event-stream" } });
  }
  return new Response(await response.text(), { headers: { "content-type": "application/json" } });
}

/** The upstream's answer, over a kept connection. */
async function kept(body: string, stream: boolean): Promise<Response> {
  const response = await http1Request({ method: "POST", url, headers, body });
  if (stream) {
    const chunks = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const chunk = await response.read();
        // The chunk is valid until the next read: the stream gets a copy.
        if (chunk) controller.enqueue(chunk.slice());
        else controller.close();
      },
      cancel: () => response.cancel(),
    }, { highWaterMark: 0 });
    return new Response(chunks, { headers: { "content-type": "text/event-stream" } });
  }
  return new Response(await response.text(), { headers: { "content-type": "application/json" } });
}

const server = Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.args[1] ?? 0),
  onListen: () => {},
}, async (request) => {
  if (request.method === "GET") return new Response("ok"); // the readiness probe
  const text = await request.text();
  const stream = JSON.parse(text).stream === true;
  return viaFetch ? fetched(text, stream) : kept(text, stream);
});
console.log(`bare proxy ready: http://127.0.0.1:${server.addr.port}`);
