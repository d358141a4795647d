/**
 * @module Every HTTP error, whatever its status, has the one body `{ error: { message, type,
 * code, param } }` with a protocol code, and its status from the one table in core/errors.ts.
 */

import OpenAI from "openai";
import { assert, assertEquals } from "../_helpers/assert.ts";
import { startTestGateway, TEST_TOKEN } from "../_helpers/gateway.ts";
import { ErrorCode, GatewayError, HTTP_ERRORS } from "../../core/errors.ts";
import { errorBody } from "../../server/openai/_errors.ts";
import { ProviderError } from "../../agent/providers/types.ts";

const CODES = new Set<string>(Object.values(ErrorCode));

async function errorOf(response: Response) {
  const body = await response.json();
  assertEquals(Object.keys(body), ["error"]);
  assertEquals(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  assert(CODES.has(body.error.code), `code ${body.error.code}`);
  assertEquals(typeof body.error.message, "string");
  return { status: response.status, code: body.error.code, param: body.error.param };
}

Deno.test("HTTP errors share one shape and take their status from the code table", async () => {
  await using gw = await startTestGateway({
    config: { gateway: { trustedProxies: ["127.0.0.1"], limits: { authFailuresPerMinute: 1 } } },
  });
  const auth = { authorization: `Bearer ${TEST_TOKEN}` };
  const base = gw.baseUrl;
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json", ...headers },
      body,
    });
  const cases: [Promise<Response>, number, string, string | null][] = [
    [fetch(`${base}/v1/nothing-here`, { headers: auth }), 404, "NOT_FOUND", null],
    [fetch(`${base}/v1/chat/completions`, { headers: auth }), 405, "METHOD_NOT_FOUND", null],
    [fetch(`${base}/v1/models`), 401, "AUTH_REQUIRED", null],
    [
      fetch(`${base}/v1/models`, { headers: { ...auth, origin: "https://evil.example" } }),
      403,
      "AUTH_REQUIRED",
      null,
    ],
    [post("/v1/chat/completions", "{nope"), 400, "INVALID_PARAMS", null],
    [
      post("/v1/chat/completions", '{"model":"x","messages":"no"}'),
      400,
      "INVALID_PARAMS",
      "messages",
    ],
    [
      post(
        "/v1/chat/completions",
        '{"model":"none/x","messages":[{"role":"user","content":"hi"}]}',
      ),
      404,
      "NOT_FOUND",
      "model",
    ],
    [post("/v1/devices/complete", "{}"), 400, "INVALID_PARAMS", "code"],
  ];
  for (const [pending, status, code, param] of cases) {
    const got = await errorOf(await pending);
    assertEquals(got, { status, code, param: param ?? got.param }, JSON.stringify(got));
    if (param === null) assertEquals(got.param, null);
  }
  // A remote client (through the trusted proxy) past its failed attempts: 429 with retry-after.
  const remote = { authorization: "Bearer wrong", "x-forwarded-for": "203.0.113.50" };
  await (await fetch(`${base}/v1/models`, { headers: remote })).body?.cancel();
  const limited = await fetch(`${base}/v1/models`, { headers: remote });
  assert(Number(limited.headers.get("retry-after")) > 0);
  assertEquals(await errorOf(limited), { status: 429, code: "RATE_LIMITED", param: null });
});

Deno.test("errorBody maps codes through HTTP_ERRORS; upstream failures are 502/504 with their code", () => {
  for (const code of Object.values(ErrorCode)) {
    if (code === "AUTH_REQUIRED") continue; // inside a route: the provider refused our key
    const { status, body } = errorBody(new GatewayError(code, "x"));
    assertEquals(status, HTTP_ERRORS[code].status, code);
    assertEquals([body.error.code, body.error.type], [code, HTTP_ERRORS[code].type]);
  }
  const limited = errorBody(new GatewayError("RATE_LIMITED", "slow down", { retryAfterMs: 2000 }));
  assertEquals([limited.status, limited.retryAfterMs], [429, 2000]);
  const timeout = errorBody(new ProviderError("timeout", "openai", "timed out"));
  assertEquals([timeout.status, timeout.body.error.code], [504, "INTERNAL_ERROR"]);
  const badKey = errorBody(new ProviderError("auth", "openai", "key refused"));
  assertEquals([badKey.status, badKey.body.error.code], [502, "AUTH_REQUIRED"]);
  const cause = new Error("ECONNRESET");
  assertEquals(new GatewayError("INTERNAL_ERROR", "failed", undefined, { cause }).cause, cause);
});

Deno.test("the openai SDK reads the gateway's errors as its own exception classes", async () => {
  await using gw = await startTestGateway();
  const client = new OpenAI({ baseURL: `${gw.baseUrl}/v1`, apiKey: TEST_TOKEN, maxRetries: 0 });
  const error = await client.chat.completions.create({
    model: "none/x",
    messages: [{ role: "user", content: "hi" }],
  }).then(() => undefined, (e) => e);
  assert(error instanceof OpenAI.NotFoundError, String(error));
  assertEquals([error.code, error.param], ["NOT_FOUND", "model"]);
  const bad = new OpenAI({ baseURL: `${gw.baseUrl}/v1`, apiKey: "wrong", maxRetries: 0 });
  const denied = await bad.models.list().then(() => undefined, (e) => e);
  assert(denied instanceof OpenAI.AuthenticationError, String(denied));
  assertEquals(denied.code, "AUTH_REQUIRED");
});
