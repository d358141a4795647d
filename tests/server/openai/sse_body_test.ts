/**
 * @module How a streamed answer's body goes out (server/openai/_sse.ts): an answer whose upstream
 * sent it whole in its first read is one body of known length (`sseWhole`), one that came in more
 * reads is a chunked stream (`sseResponse`), and both carry the same frames, on
 * `/v1/chat/completions` and `/v1/responses` alike. The upstream's kept connection serves the
 * next request either way.
 */

import { assert, assertEquals } from "../../_helpers/assert.ts";
import { startWithRaw } from "./_raw_upstream.ts";

type Raw = Awaited<ReturnType<typeof startWithRaw>>;

const encoder = new TextEncoder();
const event = (data: unknown) =>
  `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
const word = (content: string) => event({ choices: [{ index: 0, delta: { content } }] });
const FIRST = word("Hel") + word("lo");
const REST = word(" there") + event({ choices: [{ index: 0, delta: {}, finish_reason: "stop" }] }) +
  event({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }) +
  event("[DONE]");

const ROUTES = {
  "/v1/chat/completions": {
    model: "raw-model",
    messages: [{ role: "user", content: "Hi" }],
    stream: true,
    stream_options: { include_usage: true },
  },
  "/v1/responses": { model: "raw-model", input: "Hi", stream: true },
};

function post(t: Raw, path: keyof typeof ROUTES): Promise<Response> {
  return fetch(`${t.env.gw.baseUrl}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.env.gw.token}`, "content-type": "application/json" },
    body: JSON.stringify(ROUTES[path]),
  });
}

/** The frames of a body, with what differs from answer to answer (ids, times) made alike. */
const alike = (text: string) =>
  text.replace(/"(chatcmpl|resp|msg)-?_?[0-9a-f]{24}"/g, '"ID"').replace(
    /"created(_at)?":\d+/g,
    '"T"',
  );

for (const path of Object.keys(ROUTES) as (keyof typeof ROUTES)[]) {
  Deno.test(`${path}: an answer sent whole in one read is one body of known length, one sent in two reads a stream of the same frames`, async () => {
    await using t = await startWithRaw();
    // One write: the gateway reads the whole answer at once.
    t.raw.answer(new Response(FIRST + REST, { headers: { "content-type": "text/event-stream" } }));
    const whole = await post(t, path);
    assertEquals(whole.status, 200);
    assertEquals(whole.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const wholeText = await whole.text();
    assertEquals(whole.headers.get("content-length"), String(encoder.encode(wholeText).length));

    // Two writes, the second once the client has the first read's frames.
    const second = Promise.withResolvers<void>();
    async function* pieces() {
      yield encoder.encode(FIRST);
      await second.promise;
      yield encoder.encode(REST);
    }
    t.raw.answer(
      new Response(ReadableStream.from(pieces()), {
        headers: { "content-type": "text/event-stream" },
      }),
    );
    const split = await post(t, path);
    assertEquals(split.status, 200);
    assertEquals(split.headers.get("content-type"), "text/event-stream; charset=utf-8");
    assertEquals(split.headers.get("content-length"), null);
    const reader = split.body!.pipeThrough(new TextDecoderStream()).getReader();
    let splitText = (await reader.read()).value!;
    assert(splitText.includes('"Hel"') && splitText.includes('"lo"'), splitText);
    assert(!splitText.includes(" there"), splitText);
    second.resolve();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      splitText += next.value;
    }
    assertEquals(alike(splitText), alike(wholeText));
    assert(wholeText.includes('"Hel"') && wholeText.includes(" there"), wholeText);
    assertEquals(t.raw.requests.length, 2);
  });
}
