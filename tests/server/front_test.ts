/**
 * @module The listeners `gateway run` opens before the gateway has loaded (server/front.ts):
 * `/health` says the gateway is starting, every other request waits for the gateway's handler
 * and gets its answer, and a gateway that fails to start leaves 503s, never a wrong answer.
 */

import { assertEquals } from "../_helpers/assert.ts";
import { Logger } from "../../core/logger.ts";
import { openFront } from "../../server/front.ts";

const logger = new Logger({ consoleLevel: "silent" });

Deno.test("the front answers /health as starting and holds other requests for the gateway", async () => {
  const front = await openFront({ hostname: "127.0.0.1", port: 0, httpPort: false, logger });
  try {
    const base = `http://127.0.0.1:${front.listeners.port}`;
    const health = await fetch(`${base}/health`);
    assertEquals(health.status, 200);
    const body = await health.json();
    assertEquals(body.status, "starting");
    assertEquals(typeof body.uptime, "number");

    let settled = false;
    const waiting = fetch(`${base}/v1/models`).finally(() => (settled = true));
    // Answered after the waiting request was sent, so that one has reached the front too.
    await (await fetch(`${base}/health`)).body?.cancel();
    assertEquals(settled, false);

    const seen: string[] = [];
    front.serve((request) => {
      seen.push(new URL(request.url).pathname);
      return Promise.resolve(new Response("from the gateway", { status: 401 }));
    });
    const answer = await waiting;
    assertEquals(answer.status, 401);
    assertEquals(await answer.text(), "from the gateway");
    // Once served, /health is the gateway's too.
    await (await fetch(`${base}/health`)).body?.cancel();
    assertEquals(seen, ["/v1/models", "/health"]);
    // Every request counts, before the gateway served and after (the start-up collection waits
    // for a pause in them).
    assertEquals(front.requests, 4);
  } finally {
    await front.listeners.shutdown(1_000);
  }
});

Deno.test("a front whose gateway failed answers 503 to waiting and later requests", async () => {
  const front = await openFront({ hostname: "127.0.0.1", port: 0, httpPort: false, logger });
  try {
    const base = `http://127.0.0.1:${front.listeners.port}`;
    const waiting = fetch(`${base}/`, { headers: { upgrade: "websocket" } });
    await (await fetch(`${base}/health`)).body?.cancel();
    front.fail();
    const answer = await waiting;
    assertEquals(answer.status, 503);
    await answer.body?.cancel();
    const later = await fetch(`${base}/health`);
    assertEquals(later.status, 503);
    await later.body?.cancel();
  } finally {
    await front.listeners.shutdown(1_000);
  }
});

Deno.test("once served, the listeners hand each request to the gateway's handler with no layer of their own", async () => {
  // What Deno.serve was given: the front's own handler, called here directly.
  let listening: ((request: Request, info: unknown) => unknown) | undefined;
  const serve = Deno.serve;
  (Deno as { serve: unknown }).serve = (options: { handler: typeof listening }) => {
    listening ??= options.handler;
    return (serve as (options: unknown) => unknown)(options);
  };
  let front;
  try {
    front = await openFront({ hostname: "127.0.0.1", port: 0, httpPort: false, logger });
  } finally {
    (Deno as { serve: unknown }).serve = serve;
  }
  try {
    const answers: Promise<Response>[] = [];
    front.serve(() => {
      const answer = Promise.resolve(new Response("ok"));
      answers.push(answer);
      return answer;
    });
    const info = { remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 } };
    // The very promise the gateway's handler returned: no async wrapper (a promise and its
    // ticks on every request) between Deno.serve and the gateway.
    const returned = listening!(new Request("http://127.0.0.1/v1/models"), info);
    assertEquals(answers.length, 1);
    assertEquals(returned === answers[0], true);
  } finally {
    await front.listeners.shutdown(1_000);
  }
});
