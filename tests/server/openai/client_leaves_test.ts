/**
 * @module A `/v1` client that goes away before any answer ends the gateway's upstream request,
 * streamed or not (a model left generating for nobody costs its owner). The upstream is a small
 * server on 127.0.0.1 that answers nothing until its request is closed, and counts the closes.
 */

import { assertEquals, waitFor } from "../../_helpers/assert.ts";
import { gatewayInFront, postChat } from "./_raw_upstream.ts";
import { CLIENT_TICK_MS } from "../../../server/client_signal.ts";

/** An OpenAI-compatible upstream that holds every request open until its client closes it. */
function silentUpstream() {
  let received = 0;
  let closed = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      received++;
      await request.text();
      await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
      closed++;
      return new Response(null, { status: 499 });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    get received() {
      return received;
    },
    get closed() {
      return closed;
    },
    close: () => server.shutdown(),
  };
}

async function startWithSilent() {
  const upstream = silentUpstream();
  return { upstream, ...await gatewayInFront(upstream, "silent") };
}

// A request is tied to its client a tick or two after it came (server/client_signal.ts): a client
// that leaves at once is seen when that happens, one that leaves later at once.
for (const [stream, late] of [[false, false], [true, false], [false, true], [true, true]]) {
  const when = late ? "after the request was tied to it" : "at once";
  Deno.test(`a ${stream ? "streamed" : "plain"} /v1 request whose client leaves ${when} before any answer closes its upstream request`, async () => {
    await using t = await startWithSilent();
    const controller = new AbortController();
    const answer = postChat(
      t.env,
      { model: "silent-model", messages: [{ role: "user", content: "Hello?" }], stream },
      controller.signal,
    ).catch((error) => error);
    await waitFor(() => t.upstream.received === 1, 20_000, "the upstream to get the request");
    // Not a synchronisation: either way the upstream request must close; this picks the path.
    if (late) await new Promise((resolve) => setTimeout(resolve, 3 * CLIENT_TICK_MS));
    controller.abort();
    assertEquals((await answer).name, "AbortError");
    await waitFor(() => t.upstream.closed === 1, 20_000, "the upstream request to be closed");
  });
}
