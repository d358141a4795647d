/**
 * @module A gateway in front of an OpenAI-compatible upstream on 127.0.0.1 that answers with
 * whatever each test queues (a JSON body, or a whole Response: a stream, a page that is not
 * JSON), for the tests of what the gateway makes of an upstream's answer
 * (chat_passthrough_test.ts, chat_answer_shapes_test.ts, chat_stream_test.ts); and the gateway
 * in front of another stand-in, and a `/v1/chat/completions` request to it, for other tests.
 */

import OpenAI from "openai";
import { assertEquals } from "../../_helpers/assert.ts";
import { startChatGateway } from "../../_helpers/chat_gateway.ts";

/** An OpenAI-compatible upstream whose next answers are the bodies queued with `answer`. */
export function rawUpstream() {
  const answers: unknown[] = [];
  const requests: Record<string, unknown>[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    async (request) => {
      requests.push(await request.json());
      const next = answers.shift();
      if (next instanceof Response) return next;
      return next === undefined
        ? Response.json({ error: { message: "no answer queued" } }, { status: 500 })
        : Response.json(next);
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/v1`,
    requests,
    answer: (body: unknown) => answers.push(body),
    close: () => server.shutdown(),
  };
}

/**
 * A gateway whose OpenAI-compatible provider `id` (its one model `<id>-model`, the default) is
 * `upstream`, with an SDK client; disposing of it stops both.
 */
export async function gatewayInFront(
  upstream: { url: string; close(): Promise<void> },
  id: string,
) {
  const env = await startChatGateway({
    config: {
      models: {
        providers: {
          [id]: { api: "openai", baseUrl: upstream.url, models: [{ id: `${id}-model` }] },
        },
      },
      agents: { defaults: { model: `${id}/${id}-model` } },
    },
  });
  const sdk = new OpenAI({ baseURL: `${env.gw.baseUrl}/v1`, apiKey: env.gw.token!, maxRetries: 0 });
  return {
    env,
    sdk,
    async [Symbol.asyncDispose]() {
      await env.close();
      await upstream.close();
    },
  };
}

/** A gateway in front of a {@linkcode rawUpstream}, its provider `raw`. */
export async function startWithRaw() {
  const raw = rawUpstream();
  return { raw, ...await gatewayInFront(raw, "raw") };
}

/** The gateway's response to `POST /v1/chat/completions` with `body`, with its token. */
export function postChat(
  env: { gw: { baseUrl: string; token: string | undefined } },
  body: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${env.gw.baseUrl}/v1/chat/completions`, {
    method: "POST",
    signal,
    headers: { authorization: `Bearer ${env.gw.token}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

/** The gateway's response to a plain, non-streamed request for `raw-model`. */
export function postPlain(t: Awaited<ReturnType<typeof startWithRaw>>): Promise<Response> {
  return postChat(t.env, { model: "raw-model", messages: [{ role: "user", content: "Hi" }] });
}

/** The JSON body the gateway answers a plain request for `raw-model` with. */
export async function plainAnswer(t: Awaited<ReturnType<typeof startWithRaw>>) {
  const response = await postPlain(t);
  assertEquals(response.status, 200);
  return await response.json();
}
