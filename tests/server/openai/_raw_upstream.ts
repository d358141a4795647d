/**
 * @module A gateway in front of an OpenAI-compatible upstream on 127.0.0.1 that answers with
 * whatever each test queues (a JSON body, or a whole Response: a stream, a page that is not
 * JSON), for the tests of what the gateway makes of an upstream's answer
 * (chat_passthrough_test.ts, chat_answer_shapes_test.ts).
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

export async function startWithRaw() {
  const raw = rawUpstream();
  const env = await startChatGateway({
    config: {
      models: {
        providers: {
          raw: { api: "openai", baseUrl: raw.url, models: [{ id: "raw-model" }] },
        },
      },
      agents: { defaults: { model: "raw/raw-model" } },
    },
  });
  const sdk = new OpenAI({ baseURL: `${env.gw.baseUrl}/v1`, apiKey: env.gw.token!, maxRetries: 0 });
  return {
    raw,
    env,
    sdk,
    async [Symbol.asyncDispose]() {
      await env.close();
      await raw.close();
    },
  };
}

/** The gateway's response to a plain, non-streamed request for `raw-model`. */
export function postPlain(t: Awaited<ReturnType<typeof startWithRaw>>): Promise<Response> {
  return fetch(`${t.env.gw.baseUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${t.env.gw.token}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "raw-model", messages: [{ role: "user", content: "Hi" }] }),
  });
}

/** The JSON body the gateway answers a plain request for `raw-model` with. */
export async function plainAnswer(t: Awaited<ReturnType<typeof startWithRaw>>) {
  const response = await postPlain(t);
  assertEquals(response.status, 200);
  return await response.json();
}
